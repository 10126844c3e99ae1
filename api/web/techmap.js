"use strict";
// 技术图谱: the topic × region heatmap of demand against supply; a red (gap) cell lists its needs and the nearest
// remote institutions and experts, and each need opens the usual match view. Uses app.js helpers.

// A gap counts outcomes of its topic (the numbers in the cell); the nearest outcome of a need may still be local
// (another topic, or one of the few local ones): the words say which, beside the similarities they come from.
function gapWords(cell, alpha) {
  const local = `本地同类成果 ${cell.outcomes} 项，按每条需求 ${alpha} 项计，不够 ${cell.needs} 条开放需求`;
  return local + (cell.remote_outcomes ? `；外地有同类成果 ${cell.remote_outcomes} 项` : "；各地都还没有同类成果");
}

function nearestWords(n, cell) {
  const sim = (x) => (x === null ? "无" : x.toFixed(2));
  const here = cell && cell.outcomes === 0 ? "最相近的成果在本地（属其他主题）" : "最相近的成果在本地";
  const where = n.best_local === null && n.best_remote === null ? ""
    : n.best_remote === null || (n.best_local !== null && n.best_local >= n.best_remote) ? here : "最相近的成果在外地";
  return `${where ? where + "；" : ""}相似度：本地 ${sim(n.best_local)}，外地 ${sim(n.best_remote)}`;
}

function mapQuery() {
  const params = new URLSearchParams();
  const region = $("#map-region").value.trim();
  const field = $("#map-field").value.trim();
  if (region) params.set("region", region);
  if (field) params.set("field", field);
  return params;
}

function heatColour(cell, topGap, topStrength) {
  if (!cell) return "#fff";
  if (cell.gap > 0) return `rgba(214,39,40,${(0.18 + 0.82 * Math.min(1, cell.gap / topGap)).toFixed(2)})`;
  if (cell.strength > 0) return `rgba(44,160,44,${(0.18 + 0.82 * Math.min(1, cell.strength / topStrength)).toFixed(2)})`;
  return cell.needs || cell.outcomes ? "#dfe8f3" : "#fff";
}

function heatTable(map) {
  const grid = new Map(map.cells.map((c) => [`${c.topic}|${c.region}`, c]));
  const listed = new Set(map.gaps.map((g) => `${g.topic}|${g.region}`));  // the gaps in scope open on a click
  const topGap = Math.max(0, ...map.cells.map((c) => c.gap));
  const topStrength = Math.max(0, ...map.cells.map((c) => c.strength));
  const regions = map.region ? [map.region] : map.regions;  // a chosen region narrows the table to its column
  const head = regions.map((r) => `<th class="${r === map.region ? "here" : ""}">${esc(r)}</th>`).join("");
  const rows = map.topics.map((t) => `<tr><th class="topic">${esc(t.label)}</th>${regions.map((r) => {
    const c = grid.get(`${t.id}|${r}`);
    const title = c ? `${t.label} × ${r}\n开放需求 ${c.needs}（企业 ${c.enterprises}）· 本地成果 ${c.outcomes} · 外地成果 ${c.remote_outcomes}\n${c.gap > 0 ? "缺口 " + c.gap : c.strength > 0 ? "待转化优势 " + c.strength : "供需相当"}` : "";
    const cls = listed.has(`${t.id}|${r}`) ? "gapcell" : "";
    return `<td class="${cls}" data-topic="${t.id}" data-region="${esc(r)}" title="${esc(title)}" style="background:${heatColour(c, topGap, topStrength)}">${c ? `${c.needs}/${c.outcomes}` : ""}</td>`;
  }).join("")}</tr>`).join("");
  return `<table class="heat"><tr><th></th>${head}</tr>${rows}</table>`;
}

function gapView(gap, topic, cell, alpha) {
  // each need is a link of its own (#need/…): a click opens it here, a middle click or 新标签页 in a tab of its own
  const needs = gap.needs.map((n) => `<li><a href="#need/${encodeURIComponent(n.id)}/expert" data-need="${esc(n.id)}">${esc(n.title)}</a>
    <span class="muted">（${esc(n.organization || "未注明企业")}；${nearestWords(n, cell)}）</span></li>`).join("");
  const insts = gap.institutions.slice(0, 5).map((s) => `${esc(s.name)}<span class="muted">（${esc(s.region || "")}）</span>`).join("、");
  const people = gap.experts.slice(0, 5).map((s) => esc(s.name)).join("、");
  return `<li class="hit gap-detail"><div class="rank">!</div><div>
    <div class="name">${esc(gap.region)} · ${esc(topic.label)}<span class="sub">缺口 ${gap.score}</span></div>
    <div class="muted gap-words">${esc(gapWords(cell, alpha))}</div>
    <ul class="evidence">${needs}</ul>
    <div class="muted">外地最近的机构：${insts || "—"}</div><div class="muted">外地最近的专家：${people || "—"}</div></div><div class="actions"></div></li>`;
}

function showGap(map, topicId, region) {
  const gap = map.gaps.find((g) => g.topic === topicId && g.region === region);
  if (!gap) return;
  const topic = map.topics.find((t) => t.id === topicId);
  const cell = map.cells.find((c) => c.topic === topicId && c.region === region);
  $("#hits").innerHTML = gapView(gap, topic, cell, (map.params && map.params.alpha) || 2);
  // a plain click opens the need here; with a modifier key the browser opens the link's own tab
  document.querySelectorAll("#hits a[data-need]").forEach((a) => (a.onclick = (e) => {
    if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    openNeed(a.dataset.need);
  }));
}

async function showMap() {
  clearNeedView("技术图谱");
  link(["map", $("#map-region").value.trim(), $("#map-field").value.trim()].map(encodeURIComponent).join("/"));
  try {
    const view = state.view;
    const map = await api("/map?" + mapQuery());
    if (stale(view)) return;
    const scope = [map.region, map.field].filter(Boolean).join(" · ") || "全部地区与领域";
    const alpha = (map.params && map.params.alpha) || 2;
    $("#need-head").innerHTML = `<div class="t">技术图谱 · ${esc(scope)}</div>
      <div class="muted">${map.topics.length} 个主题 · ${map.gaps.length} 个卡脖子缺口 · ${map.strengths.length} 个待转化优势。
      格内为“开放需求/本地成果”。每条需求按 ${alpha} 项本地成果算作满足：红色越深缺口越大（缺口 = 开放需求 − 本地成果 ÷ ${alpha}），
      绿色越深待转化优势越大（优势 = 本地成果 − ${alpha} × 开放需求），浅蓝为供需相当。点红格看需求与外地供给。</div>
      <div class="scroll">${heatTable(map)}</div>`;
    $("#hits").innerHTML = map.gaps.length ? `<li class="muted">点击红色格子查看缺口详情。</li>` : `<li class="muted">没有缺口。</li>`;
    showResults();
    document.querySelectorAll("td.gapcell").forEach((td) => (td.onclick = () => showGap(map, Number(td.dataset.topic), td.dataset.region)));
  } catch (err) {
    $("#hits").innerHTML = `<li class="error">无法读取图谱：${esc(err.message)}</li>`;
  }
}

async function fetchBlob(path) {
  const res = await fetch(path, { headers: { "X-API-Key": state.key } });
  if (!res.ok) throw new Error(res.statusText);
  return URL.createObjectURL(await res.blob());
}

function reportHash() {
  return ["report", $("#map-region").value.trim(), $("#map-field").value.trim()].map(encodeURIComponent).join("/");
}

// The full report opens in a tab of its own at a link that lasts (#report/地区/领域): bookmarked or sent to a
// colleague, it opens the same report after their sign-in (the key never travels in the link).
function openReport() {
  window.open(`${location.pathname}#${reportHash()}`, "_blank");
}

async function showReport() {
  const scope = [$("#map-region").value.trim(), $("#map-field").value.trim()].filter(Boolean).join(" · ") || "全部地区与领域";
  clearNeedView(`技术图谱报告 · ${scope}`);
  link(reportHash());
  try {
    const view = state.view;
    const res = await fetch("/map/report?" + mapQuery(), { headers: { "X-API-Key": state.key } });
    const html = await res.text();
    if (stale(view)) return;
    if (!res.ok) throw new Error(JSON.parse(html).detail || res.statusText);
    $("#need-head").innerHTML += `<div class="muted">本页链接可收藏或发给同事，对方登录后打开同一份报告。
      <button type="button" id="report-print" class="ghost">打印</button></div>`;
    $("#hits").innerHTML = `<li class="report-frame"><iframe title="技术图谱报告" sandbox="allow-same-origin allow-modals"></iframe></li>`;
    const frame = $("#hits iframe");
    frame.onload = () => {
      const doc = frame.contentDocument;
      frame.style.height = doc.documentElement.scrollHeight + 40 + "px";
      // the report's own links (a red cell → its gap) move within the report: in a frame written from text a bare
      // "#gap-…" would load this page into the frame instead (and ask to sign in again)
      doc.addEventListener("click", (e) => {
        const a = e.target.closest && e.target.closest("a[href^='#']");
        if (!a) return;
        e.preventDefault();
        const target = doc.getElementById(decodeURIComponent(a.getAttribute("href").slice(1)));
        if (!target) return;
        const at = frame.getBoundingClientRect().top + target.getBoundingClientRect().top + window.scrollY;
        window.scrollTo(0, at - $("header").getBoundingClientRect().bottom - 8);  // below the sticky header
      });
    };
    frame.srcdoc = html;
    $("#report-print").onclick = () => frame.contentWindow.print();
  } catch (err) {
    $("#hits").innerHTML = `<li class="error">报告不可用：${esc(err.message)}</li>`;
  }
}

async function downloadMap() {
  try {
    const link = document.createElement("a");
    link.href = await fetchBlob("/map?format=xlsx&" + mapQuery());
    link.download = "技术图谱.xlsx";
    link.click();
  } catch (err) {
    toast("下载失败：" + err.message);
  }
}

ROUTES.map = ([region, field]) => {
  $("#map-region").value = region || "";
  $("#map-field").value = field || "";
  return showMap();
};
ROUTES.report = ([region, field]) => {
  $("#map-region").value = region || "";
  $("#map-field").value = field || "";
  return showReport();
};
$("#map").onsubmit = (e) => { e.preventDefault(); showMap(); };
$("#map-report").onclick = openReport;
$("#map-xlsx").onclick = downloadMap;
