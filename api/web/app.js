"use strict";
// matcher staff page: plain JS over the REST API (no build step).
const $ = (sel) => document.querySelector(sel);
const state = { key: localStorage.getItem("matcher-key"), level: "expert", need: null, text: null, offset: 0, limit: 15, view: 0 };
const KIND = { patent: "专利", paper: "论文", project: "项目", achievement: "成果" };
const STAGES = [["contacted", "已联系"], ["meeting", "已对接"], ["intention", "合作意向"], ["signed", "已签约"]];
const SIGNED_IN = [];  // what each view's script does once a key is accepted (e.g. show an admin's buttons)
const STAGE_ZH = { proposed: "推荐", contacted: "已联系", meeting: "已对接", intention: "合作意向", signed: "已签约", rejected: "不合适" };

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

function highlight(text, terms) {
  let out = esc(text);
  for (const t of [...terms].sort((a, b) => b.length - a.length)) {
    if (!t) continue;
    out = out.split(esc(t)).join(`<mark>${esc(t)}</mark>`);
  }
  return out;
}

function toast(msg) {
  const el = $("#toast");
  el.textContent = msg;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (el.hidden = true), 2600);
}

async function api(path, options = {}) {
  const res = await fetch(path, {
    ...options,
    headers: { "X-API-Key": state.key || "", "Content-Type": "application/json", ...(options.headers || {}) },
  });
  if (res.status === 204) return null;
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    if (res.status === 401) signOut();
    throw Object.assign(new Error(body.detail || body.title || res.statusText), { status: res.status });
  }
  return body;
}

function signOut() {
  localStorage.removeItem("matcher-key");
  state.key = null;
  $("#app").hidden = true;
  $("#signin").hidden = false;
  $("#who").innerHTML = "";
  document.querySelectorAll(".admin-only").forEach((el) => (el.hidden = true));
}

async function signIn(key) {
  state.key = key;
  try {
    await api("/needs?limit=1");
  } catch (err) {
    $("#signin-error").textContent = err.message;
    state.key = null;
    return;
  }
  localStorage.setItem("matcher-key", key);  // kept for the next tab and a link opened later
  $("#signin").hidden = true;
  $("#app").hidden = false;
  $("#who").innerHTML = `已登录 <button class="ghost" id="signout">退出</button>`;
  $("#signout").onclick = signOut;
  loadNeeds();
  loadRuns();
  route();
  SIGNED_IN.forEach((f) => f());
}

async function loadNeeds() {
  const params = new URLSearchParams({ offset: state.offset, limit: state.limit });
  const status = $("#needs-status").value;
  const q = $("#needs-q").value.trim();
  if (status) params.set("status", status);
  if (q) params.set("q", q);
  const page = await api("/needs?" + params);
  $("#needs").innerHTML = page.items.map((n) => `
    <li data-id="${esc(n.id)}" class="${state.need && state.need.id === n.id ? "active" : ""}">
      <div class="t">${esc(n.title)}</div>
      <div class="m">${esc(n.organization || "—")} · ${esc(n.region || "")} ${esc(n.field || "")} · ${n.status === "open" ? "进行中" : "已关闭"}</div>
    </li>`).join("") || `<li class="muted">没有需求</li>`;
  const last = Math.min(state.offset + state.limit, page.total);
  $("#page").textContent = page.total ? `${state.offset + 1}–${last} / ${page.total}` : "0";
  $("#prev").disabled = state.offset === 0;
  $("#next").disabled = last >= page.total;
  document.querySelectorAll("#needs li[data-id]").forEach((li) => (li.onclick = () => openNeed(li.dataset.id)));
}

async function openNeed(id, level) {
  const view = (state.view += 1);
  let need;
  try {
    need = await api(`/needs/${encodeURIComponent(id)}`);
  } catch (err) {
    return toast("打开需求失败：" + err.message);
  }
  if (stale(view)) return;  // the staff member went elsewhere meanwhile
  state.need = need;
  state.text = null;
  if (level && ["expert", "institution", "outcome"].includes(level)) setLevel(level);
  link(`need/${encodeURIComponent(id)}/${state.level}`);
  renderHead();
  loadNeeds();
  await runMatch();
  loadHistory();
  loadBatchProposals();
}

// Each view (a need, a trial, a plan, the map, a run…) bumps state.view; an answer that arrives after the staff
// member moved on belongs to an older view and is dropped instead of painting over the newer one.
function stale(view) {
  return view !== state.view;
}

function renderHead() {
  state.view += 1;
  const n = state.need;
  $("#tabs").hidden = false;
  const closing = n && n.status === "open" ? `<button type="button" class="ghost" id="need-close">关闭需求</button>` : "";
  $("#need-head").innerHTML = n
    ? `<div class="t">${esc(n.title)}</div><div class="muted facts">${[n.organization || "未填写企业", n.region || "未填写地区", n.field || "未分类", n.status === "open" ? "进行中" : "已关闭"].map((x) => `<span>${esc(x)}</span>`).join(" · ")} ${closing}</div><div class="d">${esc(n.description)}</div>`
    : `<div class="t">试匹配</div><div class="d">${esc(state.text)}</div><p class="muted">保存为需求后即可记录对接进展。</p>`;
  if (closing) $("#need-close").onclick = closeNeed;
}

async function closeNeed() {
  if (!confirm(`关闭需求「${state.need.title}」？关闭后不再参与推荐，也不再记录对接进展。`)) return;
  try {
    state.need = await api(`/needs/${encodeURIComponent(state.need.id)}/close`, { method: "POST" });
    toast("需求已关闭");
    renderHead();
    runMatch();
    loadNeeds();
  } catch (err) {
    toast("关闭失败：" + err.message);
  }
}

// Leaving a need for another view (a plan, the map, 成果找企业, 标注…): a newer view, so answers still on their way
// for the older one are dropped (see stale); the need's tabs and cards hidden; the results brought into view.
function leaveNeed() {
  state.view += 1;
  state.need = null;
  state.text = null;
  $("#tabs").hidden = true;
  $("#history-card").hidden = true;
  $("#batch-card").hidden = true;
  $("#notice").hidden = true;
  showResults();
}

function showResults() {
  // bring the answer into view (its head and first hit) wherever the staff member was: on a phone the sidebar is
  // above the results; on a desktop a long scroll down the sidebar leaves the top of the results column off-screen
  const head = $("#need-head").getBoundingClientRect();
  const below = $("header").getBoundingClientRect().bottom;
  if (head.top < below || head.top > below + window.innerHeight / 4) document.querySelector(".results").scrollIntoView({ block: "start" });
}

async function runMatch() {
  const view = state.view;
  $("#hits").innerHTML = `<li class="muted">正在匹配…</li>`;
  showResults();
  try {
    const result = state.need
      ? await api(`/needs/${encodeURIComponent(state.need.id)}/matches?level=${state.level}&top=10`)
      : await api("/match", { method: "POST", body: JSON.stringify({ text: state.text, level: state.level, top: 10 }) });
    if (stale(view)) return;
    renderHits(result);
    showResults();  // again: the sidebar above may have grown while the answer was on its way
  } catch (err) {
    if (!stale(view)) $("#hits").innerHTML = `<li class="error">匹配失败：${esc(err.message)}</li>`;
  }
}

const BAND_ZH = { strong: "强匹配", fair: "可参考", weak: "弱匹配" };

function scoreCell(hit) {
  // the 匹配度 (0–100) and its band, computed by the engine: the same figure batch runs, plans and exports show
  // (null: the level has no fitted map yet — rank and reasons only, no number in its place)
  const value = hit.degree;
  if (value === null || value === undefined) return `<div class="score"><b>匹配度 尚未校准</b></div>`;
  return `<div class="score ${hit.band}"><div class="bar"><i style="width:${Math.max(3, value)}%"></i></div><b>匹配度 ${value.toFixed(0)} · ${BAND_ZH[hit.band] || ""}</b></div>`;
}

function whyList(hit) {
  // the hit's own reasons: covered key terms, the quoted evidence sentence (its shared terms marked), the ranker's
  const terms = (hit.sentence && hit.sentence.terms) || [];
  return `<ul class="why">${(hit.why || []).map((w) => `<li>${w.startsWith("原文：") ? highlight(w, terms) : esc(w)}</li>`).join("")}</ul>`;
}

// Thrown when the staff member answers 取消 to a question: the callers then say nothing (the choice was theirs).
class Cancelled extends Error {}

async function postFeedback(needId, body) {
  // a step back (已签约 → 已联系, out of 不合适) is a correction: the staff member confirms it first
  try {
    return await api(`/needs/${encodeURIComponent(needId)}/feedback`, { method: "POST", body: JSON.stringify(body) });
  } catch (err) {
    if (err.status !== 409 || !String(err.message).includes("更正")) throw err;
    if (!confirm(err.message + "\n\n确定更正吗？原来的记录会保留。")) throw new Cancelled();
    return api(`/needs/${encodeURIComponent(needId)}/feedback`, { method: "POST", body: JSON.stringify({ ...body, correction: true }) });
  }
}

function evidenceList(items, terms) {
  return `<ul class="evidence">${items.map((e) => `<li><span class="k">${KIND[e.kind] || e.kind}</span>${highlight(e.title, terms)}${e.year ? ` <span class="muted">(${e.year})</span>` : ""} <span class="muted">匹配度 ${e.degree === null ? "尚未校准" : e.degree.toFixed(0)}</span></li>`).join("")}</ul>`;
}

function actions(hit, level) {
  if (!state.need || level === "outcome") return `<div class="actions muted">${state.need ? "" : "保存为需求后可记录进展"}</div>`;
  if (state.need.status !== "open") return `<div class="actions muted">${hit.stage ? "进展：" + STAGE_ZH[hit.stage] + " · " : ""}需求已关闭</div>`;
  const current = hit.stage ? `<div class="stage">当前进展：${STAGE_ZH[hit.stage]}</div>` : `<div class="stage muted">推荐</div>`;
  const buttons = STAGES.map(([s, zh]) => `<button data-stage="${s}" data-target="${esc(hit.id)}">${zh}</button>`).join("");
  return `<div class="actions">${current}<div class="btns">${buttons}<button class="no" data-stage="rejected" data-target="${esc(hit.id)}">不合适</button></div></div>`;
}

function renderHits(result) {
  const notice = $("#notice");
  notice.hidden = !result.notice;
  notice.textContent = result.notice ? "注意：" + result.notice : "";
  const level = result.level;
  const card = (h) => {
    h.level = level;
    const terms = h.matched_terms || [];
    const chips = `<div class="terms">${terms.slice(0, 10).map((t) => `<span>${esc(t)}</span>`).join("")}</div>`;
    let title, body;
    if (level === "expert") {
      title = `${esc(h.name)}<span class="sub">${esc([h.title, h.institution].filter(Boolean).join(" · "))}</span>`;
      body = `${chips}${whyList(h)}${evidenceList(h.evidence, terms)}`;
    } else if (level === "institution") {
      title = `${esc(h.name)}<span class="sub">${esc(h.region || "")}</span>`;
      body = `${chips}${whyList(h)}<div class="muted">相关专家：${esc(h.experts.join("、") || "—")}</div>${evidenceList(h.evidence, terms)}`;
    } else {
      title = `${highlight(h.title, terms)}<span class="sub">${KIND[h.kind] || h.kind}${h.year ? " · " + h.year : ""}</span>`;
      body = `${chips}<div class="muted">${esc(h.institution || "")} ${esc((h.experts || []).join("、"))}</div>${whyList(h)}`;
    }
    return `<li class="hit ${h.band}"><div class="rank">${h.rank}</div><div><div class="name">${title}</div>${scoreCell(h)}${body}</div>${actions(h, level)}</li>`;
  };
  const shown = result.hits.filter((h) => h.band !== "weak"), weak = result.hits.filter((h) => h.band === "weak");
  const restore = (x) => state.need && state.need.status === "open" && level !== "outcome"
    ? ` <button type="button" class="ghost restore" data-restore="${esc(x.id)}" data-name="${esc(x.name)}">恢复</button>` : "";
  const excluded = (result.excluded || []).map((x) => `<li>${esc(x.name)}：${esc(x.reason || "已标记不合适")}${restore(x)}</li>`).join("");
  $("#hits").innerHTML = (shown.map(card).join("") || `<li class="muted">没有强匹配或可参考的结果。</li>`)
    + (weak.length ? `<li class="weak-group"><details><summary>弱匹配（${weak.length}）：匹配度低于弱匹配线，仅供参考</summary><ol class="hits">${weak.map(card).join("")}</ol></details></li>` : "")
    + (excluded ? `<li class="excluded"><details><summary>已排除（${(result.excluded || []).length}）：已标记不合适</summary><ul>${excluded}</ul></details></li>` : "");
  document.querySelectorAll(".actions button").forEach((b) => (b.onclick = () => feedback(b.dataset.target, b.dataset.stage)));
  document.querySelectorAll("#hits button[data-restore]").forEach((b) => (b.onclick = () => restoreExcluded(b.dataset.restore, b.dataset.name)));
}

// 已排除 → back among the recommendations: a step out of 不合适, so it is recorded as a correction (asked first)
async function restoreExcluded(target, name) {
  if (!confirm(`恢复「${name}」？它将重新出现在推荐中，此前“不合适”的记录会保留，并记下这次更正。`)) return;
  const body = { level: state.level, target_id: target, stage: "proposed", reason: null, correction: true };
  try {
    await api(`/needs/${encodeURIComponent(state.need.id)}/feedback`, { method: "POST", body: JSON.stringify(body) });
    toast(`已恢复：${name}`);
    await runMatch();
    loadHistory();
  } catch (err) {
    toast("恢复失败：" + err.message);
  }
}

async function feedback(target, stage) {
  let reason = null;
  if (stage === "rejected") {
    reason = prompt("不合适的原因（必填）：");
    if (!reason) return;
  }
  try {
    await postFeedback(state.need.id, { level: state.level, target_id: target, stage, reason });
    toast(`已记录：${STAGE_ZH[stage]}`);
    await runMatch();
    loadHistory();
  } catch (err) {
    if (!(err instanceof Cancelled)) toast("记录失败：" + err.message);
  }
}

const LEVEL_ZH = { expert: "专家", institution: "机构", outcome: "成果" };

async function loadHistory() {
  if (!state.need) return ($("#history-card").hidden = true);
  const id = encodeURIComponent(state.need.id), view = state.view;
  const [rows, judged] = await Promise.all([api(`/needs/${id}/feedback`), api(`/judgements?need_id=${id}`)]);
  if (stale(view)) return;
  const when = (r) => esc(r.created_at.replace("T", " ").slice(0, 16));
  const name = (r) => esc(r.target_name || "（已删除）");
  $("#history-card").hidden = false;
  $("#history").innerHTML = [
    ...rows.map((r) => `<li>${when(r)} · ${esc(r.created_by)} 将${LEVEL_ZH[r.level]}「${name(r)}」${r.correction ? "更正为" : "标记为"} <b>${esc(r.stage_zh)}</b>${r.reason ? "（" + esc(r.reason) + "）" : ""}</li>`),
    ...judged.filter((j) => j.grade !== null).map((j) => `<li>${when(j)} · ${esc(j.created_by)} 判断${LEVEL_ZH[j.level]}「${name(j)}」<b>${esc(j.grade_zh)}</b></li>`),
  ].join("") || `<li class="muted">暂无记录</li>`;
}

async function submitNeed(save) {
  const title = $("#ask-title").value.trim();
  const text = $("#ask-text").value.trim();
  if (!title) {
    $("#ask-title").focus();
    return toast("请填写需求标题");
  }
  if (!save) {
    state.need = null;
    state.text = `${title}\n${text}`;
    link("");
    renderHead();
    $("#history-card").hidden = true;
    return runMatch();
  }
  const body = { title, description: text, organization: $("#ask-org").value.trim() || null, region: $("#ask-region").value.trim() || null };
  // one need per form content: a second click, or a retry after a lost answer, sends the same id
  const content = JSON.stringify(body);
  if (!submitNeed.pending || submitNeed.pending.content !== content) {
    submitNeed.pending = { content, id: "N-" + new Date().toISOString().replace(/[-:TZ.]/g, "").slice(0, 14) + "-" + Math.random().toString(36).slice(2, 6) };
  }
  const { id } = submitNeed.pending;
  const buttons = [$("#ask-save"), $("#ask-try")];
  if (buttons[0].disabled) return;
  buttons.forEach((b) => (b.disabled = true));
  $("#ask-save").textContent = "保存中…";
  try {
    await api("/needs", { method: "POST", body: JSON.stringify({ id, ...body }) });
  } catch (err) {
    if (!String(err.message).includes(id)) {  // "编号为 … 的需求已存在": this very need, saved by the first try
      buttons.forEach((b) => (b.disabled = false));
      $("#ask-save").textContent = "保存并匹配";
      return toast("保存失败：" + err.message);
    }
  }
  submitNeed.pending = null;
  $("#ask").reset();
  buttons.forEach((b) => (b.disabled = false));
  $("#ask-save").textContent = "保存并匹配";
  toast("需求已保存");
  state.offset = 0;
  await openNeed(id);
}

// -- links: every view has an address (#need/ID/LEVEL, #rev/…, #map/…, #plan/ID); refresh and Back work -------------
function link(hash) {
  const target = hash ? "#" + hash : " ";
  if (location.hash.slice(1) === hash) return;
  if (hash) history.pushState(null, "", target);
  else history.pushState(null, "", location.pathname);
}

const ROUTES = {};  // first hash part → handler(parts), registered by each view's script

async function route() {
  if (!state.key) return;
  const [head, ...parts] = location.hash.slice(1).split("/").map(decodeURIComponent);
  if (head === "need" && parts[0]) {
    if (!state.need || state.need.id !== parts[0] || (parts[1] && parts[1] !== state.level)) await openNeed(parts[0], parts[1]);
  } else if (ROUTES[head]) {
    await ROUTES[head](parts);
  }
}

function setLevel(level) {
  state.level = level;
  document.querySelectorAll("#tabs button").forEach((x) => x.classList.toggle("active", x.dataset.level === level));
}

window.addEventListener("popstate", route);

$("#signin-form").onsubmit = (e) => {
  e.preventDefault();
  const key = $("#key").value.trim();
  if (!key) return ($("#signin-error").textContent = "请输入访问密钥");
  signIn(key);
};
$("#ask").onsubmit = (e) => { e.preventDefault(); submitNeed(true); };
$("#ask-try").onclick = () => submitNeed(false);
$("#needs-q").oninput = () => { state.offset = 0; clearTimeout(loadNeeds.t); loadNeeds.t = setTimeout(loadNeeds, 250); };
$("#needs-status").onchange = () => { state.offset = 0; loadNeeds(); };
$("#prev").onclick = () => { state.offset = Math.max(0, state.offset - state.limit); loadNeeds(); };
$("#next").onclick = () => { state.offset += state.limit; loadNeeds(); };
document.querySelectorAll("#tabs button").forEach((b) => (b.onclick = () => {
  setLevel(b.dataset.level);
  if (state.need) link(`need/${encodeURIComponent(state.need.id)}/${state.level}`);
  state.view += 1;  // the other tab's answer, if still on its way, is for an older view
  if (state.need || state.text) runMatch();
}));
if (state.key) signIn(state.key);
