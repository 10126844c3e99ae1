# matcher — make help lists the targets.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WHEELS := $(wildcard /opt/wheels)
PIP := $(BIN)/pip $(if $(WHEELS),--find-links /opt/wheels,)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install run demo test test-fast lint bench clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# torch first and pinned: the CPU wheel on local disk (any other spec pulls a CUDA build)
	$(PIP) install -q "torch==2.13.0"
	$(PIP) install -q -e ".[st,dev]"
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install matcher with its extras

demo: $(STAMP)  ## load the demo corpus into ./.matcher and build indexes
	$(BIN)/matcher demo

run: demo  ## set up, load the demo data, and show a match (the API server arrives with issue #4)
	$(BIN)/matcher match "寻求铸件表面涂料技术合作，提高机床铸件表面光洁度，降低粘砂缺陷" --level expert --top 5
	$(BIN)/matcher match "动力电池热失控早期预警与电池管理系统算法" --level institution --top 5

test: $(STAMP)  ## run the whole test suite (SQLite + PostgreSQL + real models)
	$(BIN)/pytest -q

test-fast: $(STAMP)  ## tests without real models and PostgreSQL
	$(BIN)/pytest -q -m "not realmodel and not postgres"

lint: $(STAMP)  ## ruff + mypy
	$(BIN)/ruff check matcher tests bench data/demo/build_demo.py
	$(BIN)/mypy

bench: $(STAMP)  ## benchmarks on ../shared/datasets; writes docs/benchmarks.md
	$(BIN)/python -m bench.run

clean:  ## remove the workspace and caches (keeps .venv)
	rm -rf .matcher .pytest_cache .mypy_cache .ruff_cache
