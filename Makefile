# matcher — make help lists the targets.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WHEELS := $(wildcard /opt/wheels)
PIP := $(BIN)/pip
FIND := $(if $(WHEELS),--find-links /opt/wheels,)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install run demo test test-fast lint bench model shipped-models evaluate clean browser

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# torch first and pinned: the CPU wheel on local disk (any other spec pulls a CUDA build)
	$(PIP) install -q $(FIND) "torch==2.13.0"
	$(PIP) install -q $(FIND) -e ".[st,dev,cluster]"
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install matcher with its extras

demo: $(STAMP)  ## load the demo corpus into ./.matcher and build indexes
	$(BIN)/matcher demo

run: demo  ## set up, load the demo data, create a demo admin key, serve API + staff page
	$(BIN)/matcher match "寻求铸件表面涂料技术合作，提高机床铸件表面光洁度，降低粘砂缺陷" --level expert --top 3
	$(BIN)/matcher users add demo-admin --role admin --replace
	@echo "staff page: http://$(HOST):$(PORT)/  — sign in with the demo-admin key printed above"
	$(BIN)/matcher serve --host $(HOST) --port $(PORT)

test: $(STAMP) browser  ## run the whole test suite (SQLite + PostgreSQL + real models + browser)
	$(BIN)/pytest -q

browser:  ## install Debian chromium + CJK fonts, axe-core (browser tests) and haproxy (several-hosts test)
	@command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "noto.*cjk" && command -v haproxy >/dev/null 2>&1 || { \
		echo "installing Debian chromium, CJK fonts and haproxy (apt-get) for the browser and several-hosts tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk haproxy >/dev/null; }
	@test -f .cache/axe/node_modules/axe-core/axe.min.js || { \
		echo "installing axe-core (npm) for the page's accessibility check"; \
		npm install --silent --no-audit --no-fund --prefix .cache/axe axe-core@4 >/dev/null; }

test-fast: $(STAMP)  ## tests without real models and PostgreSQL
	$(BIN)/pytest -q -m "not realmodel and not postgres"

lint: $(STAMP)  ## ruff + mypy
	$(BIN)/ruff check matcher api evaluation tests bench data/demo/build_demo.py
	$(BIN)/mypy

bench: $(STAMP)  ## benchmarks on ../shared/datasets (tens of minutes); writes docs/benchmarks.md
	$(BIN)/python -m bench.run

model: $(STAMP)  ## refit the shipped ranker models/default and 匹配度 maps models/calibration on the judged corpora in $(DATA)
	@if [ ! -f $(BDCI)/qrels.tsv ] || [ ! -f $(NSFC)/dev/qrels_experts.tsv ]; then \
		echo "make model: $(DATA) lacks BDCI 2019 dev or NSFC dev judgements; the shipped models are left as they are"; \
	else $(MAKE) --no-print-directory shipped-models; fi

# the outcome ranker: BDCI dev's graded judgements; served only at the levels where it did not make a corpus it
# never saw worse than fused retrieval (models/held-out.md). The reverse ranker (成果找需求 / 找企业): BDCI dev's
# judgements inverted, served at REVERSE_AT: 成果找需求 and 找企业, where it won on the demo judgements it never saw
# (models/held-out.md). The
# maps: outcome and 成果找需求 on BDCI dev, expert and institution on the first 400 NSFC dev needs, 成果找企业 on the
# demo judgements (the only ones naming enterprises); each with the rankers and without them (MATCHER_MODEL=none,
# MATCHER_REVERSE_MODEL=none serve fused retrieval and the fused vote: they get maps too). The demo workspace gets its
# own maps, fitted on the demo judgements (data/demo/calibration).
SERVED_AT ?= outcome
REVERSE_AT ?= needs,enterprises
CAL = MATCHER_MODEL=models/default MATCHER_REVERSE_MODEL=models/reverse $(BIN)/matcher calibrate --out models/calibration
FUSED = MATCHER_MODEL=none MATCHER_REVERSE_MODEL=none $(BIN)/matcher calibrate
shipped-models:
	$(BIN)/matcher train --needs $(BDCI)/needs.jsonl --outcomes $(BDCI)/outcomes.jsonl --qrels $(BDCI)/qrels.tsv \
		--out models/default --name bdci-dev --objective pairwise-linear --served-at $(SERVED_AT)
	$(BIN)/matcher train --level needs --needs $(BDCI)/needs.jsonl --outcomes $(BDCI)/outcomes.jsonl \
		--qrels $(BDCI)/qrels.tsv --out models/reverse --name bdci-dev-reverse --served-at $(REVERSE_AT)
	rm -rf models/calibration
	$(FUSED) --out models/calibration --needs $(BDCI)/needs.jsonl --outcomes $(BDCI)/outcomes.jsonl \
		--qrels $(BDCI)/qrels.tsv --levels outcome,needs
	$(CAL) --needs $(BDCI)/needs.jsonl --outcomes $(BDCI)/outcomes.jsonl --qrels $(BDCI)/qrels.tsv --levels outcome,needs
	$(CAL) --needs $(NSFC)/dev/needs.jsonl --outcomes $(NSFC)/outcomes.jsonl --qrels $(NSFC)/dev/qrels_experts.tsv \
		--names expert --levels expert --limit 400
	$(CAL) --needs $(NSFC)/dev/needs.jsonl --outcomes $(NSFC)/outcomes.jsonl \
		--qrels $(NSFC)/dev/qrels_institutions.tsv --names institution --levels institution --limit 400
	$(FUSED) --out models/calibration --needs data/demo/needs.jsonl --outcomes data/demo/outcomes.jsonl \
		--qrels data/demo/qrels.tsv --levels enterprises
	$(CAL) --needs data/demo/needs.jsonl --outcomes data/demo/outcomes.jsonl --qrels data/demo/qrels.tsv \
		--levels enterprises --complete
	# the demo workspace's own maps (`matcher demo` installs them): fitted on the demo judgements
	rm -rf data/demo/calibration
	$(FUSED) --out data/demo/calibration --needs data/demo/needs.jsonl \
		--outcomes data/demo/outcomes.jsonl --qrels data/demo/qrels.tsv --levels outcome,expert,institution,needs,enterprises
	$(CAL:models/calibration=data/demo/calibration) --needs data/demo/needs.jsonl --outcomes data/demo/outcomes.jsonl \
		--qrels data/demo/qrels.tsv --levels outcome,needs,enterprises --complete

DATA ?= ../shared/datasets
BDCI = $(DATA)/bdci2019/dev
NSFC = $(DATA)/nsfc_experts
TUNED ?= .matcher/tuned
# the embedder the NSFC tuning's verdict names (tuned if it won, else e5); the institution run then uses an outcome
# ranker trained as models/default is (make model: the demo judgements) but under that embedder
SERVE_TUNED = env $$(cat $(TUNED)/nsfc/serve.env)
evaluate: $(STAMP)  ## evaluation reports on the shared datasets → docs/eval/ (NSFC experts also with e5 tuned on the corpus)
	$(BIN)/matcher evaluate --needs $(DATA)/bdci2019/dev/needs.jsonl --outcomes $(DATA)/bdci2019/dev/outcomes.jsonl \
		--qrels $(DATA)/bdci2019/dev/qrels.tsv --ranker cv --out docs/eval/bdci-dev --metrics-out docs/eval/bdci-dev.json
	$(BIN)/matcher evaluate --needs $(DATA)/bdci2019/dev/needs.jsonl --outcomes $(DATA)/bdci2019/dev/outcomes.jsonl \
		--qrels $(DATA)/bdci2019/dev/qrels.tsv --ranker cv --pool all --out docs/eval/bdci-dev-all \
		--metrics-out docs/eval/bdci-dev-all.json
	$(BIN)/matcher evaluate --direction outcome --needs $(DATA)/bdci2019/dev/needs.jsonl \
		--outcomes $(DATA)/bdci2019/dev/outcomes.jsonl --qrels $(DATA)/bdci2019/dev/qrels.tsv --ranker cv \
		--out docs/eval/bdci-reverse --metrics-out docs/eval/bdci-reverse.json
	$(BIN)/matcher evaluate --needs $(DATA)/nsfc_experts/dev/needs.jsonl --outcomes $(DATA)/nsfc_experts/outcomes.jsonl \
		--qrels $(DATA)/nsfc_experts/dev/qrels_experts.tsv --level expert --ranker cv --out docs/eval/nsfc-expert \
		--metrics-out docs/eval/nsfc-expert.json
	$(BIN)/matcher evaluate --needs $(DATA)/nsfc_experts/dev/needs.jsonl --outcomes $(DATA)/nsfc_experts/outcomes.jsonl \
		--qrels $(DATA)/nsfc_experts/dev/qrels_institutions.tsv --level institution --out docs/eval/nsfc-institution \
		--metrics-out docs/eval/nsfc-institution.json
	$(BIN)/matcher evaluate-topics --outcomes $(DATA)/csl/outcomes.jsonl --metrics-out docs/eval/csl-topics.json
	$(BIN)/matcher evaluate-learning --needs $(DATA)/bdci2019/dev/needs.jsonl \
		--outcomes $(DATA)/bdci2019/dev/outcomes.jsonl --qrels $(DATA)/bdci2019/dev/qrels.tsv --seeds 5 \
		--out docs/eval/bdci-learning --metrics-out docs/eval/bdci-learning.json
	$(BIN)/matcher evaluate-learning --level expert --needs $(DATA)/nsfc_experts/dev/needs.jsonl \
		--outcomes $(DATA)/nsfc_experts/outcomes.jsonl --qrels $(DATA)/nsfc_experts/dev/qrels_experts.tsv --seeds 5 \
		--out docs/eval/nsfc-expert-learning --metrics-out docs/eval/nsfc-expert-learning.json
	$(BIN)/matcher tune-embedder --outcomes $(DATA)/nsfc_experts/outcomes.jsonl --pairs-from-corpus --epochs 2 \
		--lr 1e-5 --temperature 0.02 --out $(TUNED)/nsfc
	$(SERVE_TUNED) $(BIN)/matcher evaluate --needs $(DATA)/nsfc_experts/dev/needs.jsonl \
		--outcomes $(DATA)/nsfc_experts/outcomes.jsonl --qrels $(DATA)/nsfc_experts/dev/qrels_experts.tsv \
		--level expert --ranker cv --out docs/eval/nsfc-expert-tuned-cv --metrics-out docs/eval/nsfc-expert-tuned-cv.json
	$(SERVE_TUNED) $(BIN)/matcher train --needs data/demo/needs.jsonl --outcomes data/demo/outcomes.jsonl \
		--qrels data/demo/qrels.tsv --out $(TUNED)/nsfc-ranker --name demo-tuned --objective pairwise-linear
	$(SERVE_TUNED) MATCHER_MODEL=$(TUNED)/nsfc-ranker $(BIN)/matcher evaluate --needs $(DATA)/nsfc_experts/dev/needs.jsonl \
		--outcomes $(DATA)/nsfc_experts/outcomes.jsonl --qrels $(DATA)/nsfc_experts/dev/qrels_institutions.tsv \
		--level institution --out docs/eval/nsfc-institution-tuned --metrics-out docs/eval/nsfc-institution-tuned.json

clean:  ## remove the workspace and caches (keeps .venv)
	rm -rf .matcher .pytest_cache .mypy_cache .ruff_cache
