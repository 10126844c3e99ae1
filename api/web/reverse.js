"use strict";
// 成果找企业: a stored outcome, an expert, an institution or outcome text looks for open needs or enterprises.
// Uses app.js helpers ($, esc, highlight, api, toast, state, STAGES, STAGE_ZH). Feedback lands on the same
// need × target rows the forward direction writes.
const PROBE_PATH = { outcome: "outcomes", expert: "experts", institution: "institutions" };
const RULE_ZH = { own_organization: "本单位", same_group: "同一集团", excluded: "排除名单", rejected: "已被否决" };
const rev = { kind: "outcome", value: "", target: "needs", region: "", result: null };

function revRequest() {
  if (rev.kind === "text") {
    const body = { text: rev.value, target: rev.target, top: 10, region: rev.region || null };
    return api("/reverse-match", { method: "POST", body: JSON.stringify(body) });
  }
  const params = new URLSearchParams({ for: rev.target, top: 10 });
  if (rev.region) params.set("region", rev.region);
  return api(`/${PROBE_PATH[rev.kind]}/${encodeURIComponent(rev.value)}/matches?` + params);
}

const PROBE_ZH = { outcome: "成果", expert: "专家", institution: "单位" };

function probeLine(kind, item) {
  if (kind === "expert") {
    const where = [item.institution && item.institution.name, item.title, item.region].filter(Boolean).join(" · ");
    return `${esc(item.name)}<span class="sub">${esc(where || "未填写单位")}</span>`;
  }
  if (kind === "institution") return `${esc(item.name)}<span class="sub">${esc(item.region || "")}</span>`;
  const owner = item.institution ? item.institution.name : "";
  return `${esc(item.title)}<span class="sub">${esc([owner, item.year].filter(Boolean).join(" · "))}</span>`;
}

// What staff type is a name (周建国, 哈尔滨工业大学, part of an outcome's title) or a stored id from a link: an id
// is used as it is; a name that fits one record is that record; several are offered as a pick list.
async function resolveProbe() {
  if (rev.kind === "text") return true;
  const path = PROBE_PATH[rev.kind];
  try {
    await api(`/${path}/${encodeURIComponent(rev.value)}`);
    return true;
  } catch (err) {
    if (err.status !== 404) throw err;
  }
  const found = await api(`/${path}?` + new URLSearchParams({ q: rev.value, limit: 20 }));
  const exact = found.items.filter((i) => (i.name || i.title) === rev.value);
  const items = exact.length === 1 ? exact : found.items;
  if (items.length === 1) {
    rev.value = items[0].id;
    return true;
  }
  $("#need-head").innerHTML = `<div class="t">成果找企业 · 选择${PROBE_ZH[rev.kind]}</div>
    <div class="muted">${items.length ? `「${esc(rev.value)}」对应 ${found.total} 个${PROBE_ZH[rev.kind]}${found.total > items.length ? `，显示前 ${items.length} 个` : ""}，请选择：` : `没有名称包含「${esc(rev.value)}」的${PROBE_ZH[rev.kind]}`}</div>`;
  $("#hits").innerHTML = items.map((i) => `<li class="hit pick"><button class="ghost" data-id="${esc(i.id)}">选择</button><div class="name">${probeLine(rev.kind, i)}</div></li>`).join("");
  document.querySelectorAll("#hits .pick button").forEach((b) => (b.onclick = () => {
    $("#rev-value").value = b.dataset.id;
    runReverse();
  }));
  return false;
}

async function runReverse() {
  Object.assign(rev, {
    kind: $("#rev-kind").value, value: $("#rev-value").value.trim(), target: $("#rev-target").value, region: $("#rev-region").value.trim(),
  });
  if (!rev.value) return toast("请填写成果名称、专家姓名、单位名称或成果描述");
  leaveNeed();
  const view = state.view;
  $("#hits").innerHTML = `<li class="muted">正在查找…</li>`;
  try {
    if (!(await resolveProbe()) || stale(view)) return;
    link(["rev", rev.kind, rev.value.slice(0, 500), rev.target, rev.region].map(encodeURIComponent).join("/"));
    const result = await revRequest();
    if (stale(view)) return;
    rev.result = result;
    renderReverse(rev.result);
    showResults();
  } catch (err) {
    $("#need-head").innerHTML = `<div class="t">成果找企业</div>`;
    $("#hits").innerHTML = `<li class="error">查找失败：${esc(err.message)}</li>`;
  }
}



function foundBy(hit) {
  return `<ul class="evidence">${hit.evidence.map((p) => `<li><span class="k">依据</span>${esc(p.title)} <span class="muted">（第 ${p.rank} 名）</span></li>`).join("")}</ul>`;
}

function revActions(hit, result) {
  if (!result.probe_id) return `<div class="actions muted">成果入库后可记录进展</div>`;
  const current = hit.stage ? `<div class="stage">当前进展：${STAGE_ZH[hit.stage]}</div>` : `<div class="stage muted">推荐</div>`;
  const buttons = STAGES.map(([s, zh]) => `<button data-stage="${s}" data-need="${esc(hit.id)}">${zh}</button>`).join("");
  return `<div class="actions">${current}<div class="btns">${buttons}<button class="no" data-stage="rejected" data-need="${esc(hit.id)}">不合适</button></div></div>`;
}

function needCard(h, result) {
  const terms = h.matched_terms || [];
  const chips = `<div class="terms">${terms.slice(0, 10).map((t) => `<span>${esc(t)}</span>`).join("")}</div>`;
  const title = `${highlight(h.title, terms)}<span class="sub">${esc([h.organization || "未填写企业", h.region].filter(Boolean).join(" · "))}</span>`;
  return `<li class="hit"><div class="rank">${h.rank}</div><div><div class="name">${title}</div>${scoreCell(h)}${chips}${foundBy(h)}</div>${revActions(h, result)}</li>`;
}

function enterpriseCard(h) {
  const terms = h.matched_terms || [];
  const chips = `<div class="terms">${terms.slice(0, 10).map((t) => `<span>${esc(t)}</span>`).join("")}</div>`;
  const needs = `<ul class="evidence">${h.evidence.map((n) => `<li><span class="k">需求</span>${highlight(n.title, terms)}</li>`).join("")}</ul>`;
  const title = `${esc(h.name)}<span class="sub">${esc(h.region || "")}${h.group ? " · " + esc(h.group) : ""}</span>`;
  return `<li class="hit"><div class="rank">${h.rank}</div><div><div class="name">${title}</div>${scoreCell(h)}${chips}<div class="muted">相关需求 ${h.n_needs} 项</div>${needs}</div><div class="actions"></div></li>`;
}

function renderReverse(result) {
  const removed = Object.entries(result.conflicts_removed || {}).map(([k, v]) => `${RULE_ZH[k] || k} ${v}`).join("、");
  $("#need-head").innerHTML = `<div class="t">成果找企业 · ${esc(result.label)}</div>
    <div class="muted">${result.target === "needs" ? "匹配的进行中企业需求" : "需求最契合的企业"}${removed ? ` · 已按冲突规则排除：${esc(removed)}` : ""}</div>`;
  const notice = $("#notice");
  notice.hidden = !result.notice;
  notice.textContent = result.notice ? "注意：" + result.notice : "";
  const card = result.target === "needs" ? (h) => needCard(h, result) : (h) => enterpriseCard(h);
  $("#hits").innerHTML = result.hits.map(card).join("") || `<li class="muted">没有找到匹配的进行中需求。</li>`;
  document.querySelectorAll("#hits .actions button[data-need]").forEach((b) => (b.onclick = () => revFeedback(b.dataset.need, b.dataset.stage)));
}

async function revFeedback(needId, stage) {
  let reason = null;
  if (stage === "rejected") {
    reason = prompt("不合适的原因（必填）：");
    if (!reason) return;
  }
  try {
    await postFeedback(needId, { level: rev.result.probe, target_id: rev.result.probe_id, stage, reason });
    toast(`已记录：${STAGE_ZH[stage]}`);
    rev.result = await revRequest();
    renderReverse(rev.result);
  } catch (err) {
    if (!(err instanceof Cancelled)) toast("记录失败：" + err.message);
  }
}

$("#rev").onsubmit = (e) => { e.preventDefault(); runReverse(); };
ROUTES.rev = ([kind, value, target, region]) => {
  $("#rev-kind").value = kind || "outcome";
  $("#rev-value").value = value || "";
  $("#rev-target").value = target || "needs";
  $("#rev-region").value = region || "";
  return runReverse();
};
