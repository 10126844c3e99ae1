"use strict";
// 模型历史 (admins): every version of the ranking model and its 匹配度 calibration — when it was accepted, what it
// was trained on, its held-out score beside the one it replaced, which one is served — and every retrain or
// rollback attempt (kept or not, and why), with 回退到此版本 on the others. Versions are named 第N版 by their order;
// no ids, model or field names reach the staff member. The admin's buttons show only for an admin key.
// Uses app.js helpers ($, esc, api, toast, state, leaveNeed, link, stale, ROUTES, SIGNED_IN).

const VERSION_ID = /\d{8}T\d{6}-[0-9a-f]{4}/g;
const models = { admin: false, labels: new Map() };

// an admin key reads the history; any other is refused it (403): the admin's buttons stay hidden
async function modelsAccess() {
  try {
    await api("/models/history");
    models.admin = true;
  } catch (err) {
    models.admin = false;
  }
  document.querySelectorAll(".admin-only").forEach((el) => (el.hidden = !models.admin));
}

function when(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "时间未记录";
  const two = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

const score = (x) => (typeof x === "number" ? x.toFixed(3) : "—");
const label = (id) => models.labels.get(id) || "一个已不存在的版本";

// what a version was made from, in the staff's words (its stored source names files and models: not shown)
function madeFrom(v) {
  if (v.judgements !== null && v.judgements !== undefined) {
    return `依据 ${v.judgements} 条判断${v.needs ? `（${v.needs} 个需求）` : ""}重新训练`;
  }
  const source = v.source || "";
  if (source.startsWith("训练")) return "管理员另行训练的排序模型（匹配度校准沿用上一版）";
  if (source.startsWith("校准")) return "管理员另行校准的匹配度（排序模型沿用上一版）";
  return "来源未记录";
}

function heldOut(v) {
  if (typeof v.cv !== "number") return "没有留出检验得分（未用判断重新训练）";
  const before = v.parent ? label(v.parent) : "检索排序（当时没有排序模型）";
  const replaced = typeof v.served_before === "number" ? `，它替换的${esc(before)}为 ${score(v.served_before)}` : "";
  return `留出检验得分 <b>${score(v.cv)}</b>${replaced}`;
}

function versionCard(v, i, all) {
  const served = all.findIndex((x) => x.served);
  const older = served >= 0 && i > served;
  const verb = older || served < 0 ? "回退到" : "改用";
  const button = v.served ? `<span class="served-mark">当前使用</span>`
    : `<button type="button" class="ghost" data-rollback="${esc(v.id)}" data-verb="${verb}">${verb}此版本</button>`;
  return `<li class="hit model-version${v.served ? " served" : ""}"><div class="rank">${esc(label(v.id).replace(/^第|版$/g, ""))}</div><div>
    <div class="name">${esc(label(v.id))}<span class="sub">${when(v.created_at)} 启用</span></div>
    <div>${esc(madeFrom(v))}</div><div class="muted">${heldOut(v)}</div></div>
    <div class="actions">${button}</div></li>`;
}

// a reason the server wrote, made plain: versions by their 第N版 name, the score's English name and model names out
function plain(reason) {
  return String(reason || "").replace(VERSION_ID, (id) => label(id)).replace(/nDCG@10\s*/g, "得分 ")
    .replace(/当前排序模型\s+\S+/g, "当时使用的模型").replace(/（[A-Za-z][^）]*）/g, "");
}

function servedBy(words) {
  return String(words || "").startsWith("当前排序模型") ? "当时使用的模型" : "检索排序";
}

const ATTEMPT_HEAD = {
  "retrain:kept": "重新训练：已启用", "retrain:not-better": "重新训练：未启用，新模型没有胜出",
  "retrain:refused": "重新训练：未启用，检查未通过", "retrain:failed": "重新训练：未完成",
  "rollback:rolled-back": "回退：已改用", "rollback:failed": "回退：未完成",
};

function attemptWhy(a) {
  const f = a.figures || {};
  const figures = typeof f.new === "number"
    ? `依据 ${f.judgements} 条判断（${f.needs} 个需求）；留出检验得分：新模型 ${score(f.new)}，${servedBy(f.served_by)} ${score(f.served)}` : "";
  if (a.action === "rollback") return a.kept ? (f.from ? `此前使用${label(f.from)}` : "") : plain(a.reason);
  if (a.status === "kept") return `${figures}，新模型更好`;
  if (a.status === "not-better") return `${figures}，没有超过${servedBy(f.served_by)}，仍用原模型`;
  if (a.status === "refused" && f.guard && f.guard.new < f.guard.served - 0.01) {
    return `新模型在当前模型所依据的 ${f.guard.pairs} 条判断（${f.guard.needs} 个需求）上变差：得分 ${score(f.guard.new)}，当前模型 ${score(f.guard.served)}`;
  }
  return plain(a.reason);
}

function attemptItem(a) {
  const head = ATTEMPT_HEAD[`${a.action}:${a.status}`] || (a.kept ? "已完成" : "未完成");
  const which = a.kept && a.version ? label(a.version) : "";
  const who = a.actor ? ` · ${esc(a.actor)}` : "";
  return `<li class="${a.kept ? "kept" : "not-kept"}"><div><b>${esc(head)}${esc(which)}</b> <span class="muted">${when(a.at)}${who}</span></div>
    <div class="muted">${esc(attemptWhy(a))}</div></li>`;
}

async function showModels() {
  leaveNeed();
  link("models");
  const view = state.view;
  $("#need-head").innerHTML = `<div class="t">模型历史</div><p class="muted">排序模型与匹配度校准一起作为一个版本启用或回退。留出检验得分：用没有参与训练的判断检验排序的好坏（0 到 1，越高越好）。</p>`;
  $("#hits").innerHTML = `<li class="muted">正在读取…</li>`;
  let h;
  try {
    h = await api("/models/history");
  } catch (err) {
    if (!stale(view)) $("#hits").innerHTML = `<li class="error">读取失败：${esc(err.message)}</li>`;
    return;
  }
  if (stale(view)) return;
  models.labels = new Map(h.versions.map((v, i) => [v.id, `第${h.versions.length - i}版`]));
  const fell = h.fell_back_from ? `<p class="notice">${esc(label(h.fell_back_from))}的文件已损坏，现使用${esc(label(h.served))}。</p>` : "";
  const none = h.versions.length ? "" : `<li class="muted">还没有模型版本：目前使用随系统提供的模型。用判断重新训练并被采用后，这里会列出各个版本。</li>`;
  $("#hits").innerHTML = `${fell ? `<li class="plain">${fell}</li>` : ""}<li class="plain"><h3>模型版本</h3></li>${none}${h.versions.map(versionCard).join("")}
    <li class="card attempts"><h3>每一次重新训练与回退</h3><ul class="history">${h.attempts.map(attemptItem).join("") || `<li class="muted">还没有记录</li>`}</ul></li>`;
  document.querySelectorAll("#hits [data-rollback]").forEach((b) => (b.onclick = () => rollbackTo(b.dataset.rollback, b.dataset.verb, h)));
  showResults();
}

async function rollbackTo(id, verb, h) {
  const v = h.versions.find((x) => x.id === id);
  const current = h.versions.find((x) => x.served);
  const now = current ? `现在使用的${label(current.id)}会保留，之后可以再改回。` : "";
  if (!confirm(`${verb}${label(id)}（${when(v.created_at)} 启用）？\n排序与匹配度会一起换成这一版。${now}`)) return;
  try {
    await api("/models/rollback", { method: "POST", body: JSON.stringify({ version: id }) });
    toast(`已${verb}${label(id)}`);
  } catch (err) {
    toast("回退未完成：" + plain(err.message));
  }
  if (typeof labelSummary === "function") labelSummary().catch(() => {});
  await showModels();
}

ROUTES.models = () => showModels();
SIGNED_IN.push(modelsAccess);
$("#models-go").onclick = showModels;
