"use strict";
// 对接台账: 我的跟进 (next actions due or overdue, per owner, one-click stage updates, CSV and calendar downloads)
// and 统计报表 (a period's counts as CSS bars, the funnel, top partners; Excel and a printable page).
// Uses app.js helpers ($, esc, api, toast, state, leaveNeed, link, stale, ROUTES, STAGE_ZH, LEVEL_ZH).

const ORDER = ["proposed", "contacted", "meeting", "intention", "signed"];
const CONTRACT_TYPES = ["技术开发", "技术转让", "技术许可", "技术咨询", "技术服务"];
const COUNT_ZH = { collected: "征集需求", matched: "已匹配", contacted: "已联系", met: "已对接", intention: "合作意向", signed: "已签约", rejected: "不合适" };

function isoDay(d) {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

async function fetchFile(path, name) {
  const res = await fetch(path, { headers: { "X-API-Key": state.key } });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    return toast("下载失败：" + (body.detail || res.statusText));
  }
  const a = document.createElement("a");
  a.href = URL.createObjectURL(await res.blob());
  a.download = name;
  a.click();
  URL.revokeObjectURL(a.href);
}

// -- 我的跟进 ----------------------------------------------------------------------------------------------------
function followupParams() {
  const params = new URLSearchParams({ within: $("#fu-within") ? $("#fu-within").value : "7" });
  const owner = $("#fu-owner") ? $("#fu-owner").value.trim() : (state.owner || "");
  if (owner) params.set("owner", owner);
  return params;
}

async function showFollowups(owner) {
  leaveNeed();
  if (owner !== undefined) state.owner = owner;
  link("followups" + (state.owner ? "/" + encodeURIComponent(state.owner) : ""));
  $("#need-head").innerHTML = `<div class="t">我的跟进</div>
    <div class="row filters"><input id="fu-owner" aria-label="负责人" placeholder="负责人（留空为全部）" maxlength="100" value="${esc(state.owner || "")}">
      <select id="fu-within" aria-label="时间范围"><option value="7">7 天内到期及逾期</option><option value="30">30 天内到期及逾期</option><option value="0">仅今天到期及逾期</option></select>
      <button type="button" id="fu-go">刷新</button></div>
    <div class="row"><button type="button" class="ghost" id="fu-csv">下载清单（CSV）</button><button type="button" class="ghost" id="fu-ics">下载日历文件</button></div>`;
  $("#fu-go").onclick = () => showFollowups($("#fu-owner").value.trim());
  $("#fu-csv").onclick = () => fetchFile("/followups/export.csv?" + followupParams(), "我的跟进.csv");
  $("#fu-ics").onclick = () => {
    const owner = $("#fu-owner").value.trim();
    fetchFile("/followups/calendar.ics" + (owner ? "?owner=" + encodeURIComponent(owner) : ""), "对接跟进.ics");
  };
  $("#fu-within").onchange = loadFollowups;
  await loadFollowups();
}

async function loadFollowups() {
  const view = state.view;
  $("#hits").innerHTML = `<li class="muted">正在读取…</li>`;
  try {
    const due = await api("/followups?" + followupParams());
    if (stale(view)) return;
    $("#hits").innerHTML = due.map(followupCard).join("") || `<li class="muted">没有到期或逾期的跟进事项。</li>`;
    document.querySelectorAll("#hits [data-move]").forEach((b) => (b.onclick = () => moveStage(Number(b.dataset.id), b.dataset.move)));
    document.querySelectorAll("#hits [data-contract]").forEach((b) => (b.onclick = () => addContract(Number(b.dataset.contract))));
    document.querySelectorAll("#hits [data-next]").forEach((b) => (b.onclick = () => setNext(Number(b.dataset.next))));
  } catch (err) {
    if (!stale(view)) $("#hits").innerHTML = `<li class="error">读取失败：${esc(err.message)}</li>`;
  }
}

function followupCard(f) {
  const e = f.engagement;
  const later = e.stage === "rejected" ? [] : ORDER.slice(ORDER.indexOf(e.stage) + 1);
  const buttons = later.map((s) => `<button data-move="${s}" data-id="${e.id}">${STAGE_ZH[s]}</button>`).join("")
    + (e.stage !== "rejected" && e.stage !== "signed" ? `<button class="no" data-move="rejected" data-id="${e.id}">不合适</button>` : "");
  return `<li class="hit followup ${f.overdue ? "overdue" : ""}"><div class="due-badge">${esc(f.status_zh)}</div><div>
    <div class="name">${esc(e.need_title)}<span class="sub">${esc(e.organization || "")}</span></div>
    <div>${LEVEL_ZH[e.level] || ""}：${esc(e.target_name || e.target_id)} · 当前阶段 <b>${esc(e.stage_zh)}</b></div>
    <div class="muted">下一步：${esc(e.next_action || "—")} · 到期 ${esc(e.due_date || "—")} · 负责人 ${esc(e.owner || "—")}</div>
    ${e.contracts.length ? `<div class="muted">合同：${e.contracts.map((c) => `${esc(c.type)} ${c.amount_wan ?? "—"} 万元`).join("；")}</div>` : ""}
    </div><div class="actions"><div class="btns">${buttons}</div><div class="btns">
    <button class="ghost" data-next="${e.id}">改下一步</button><button class="ghost" data-contract="${e.id}">登记合同</button></div></div></li>`;
}

function askNext(current) {
  const next = prompt("下一步工作（可留空）：", current || "");
  if (next === null) return null;
  const week = new Date(Date.now() + 7 * 86400000);
  const due = next.trim() ? prompt("到期日（YYYY-MM-DD）：", isoDay(week)) : "";
  if (due === null) return null;
  if (due && !/^\d{4}-\d{2}-\d{2}$/.test(due.trim())) return toast("到期日须为 YYYY-MM-DD"), null;
  return { next_action: next.trim() || null, due_date: due.trim() || null };
}

async function moveStage(id, stage) {
  const body = { stage };
  if (stage === "rejected") {
    body.reason = prompt("不合适的原因（必填）：");
    if (!body.reason) return;
  } else {
    const next = askNext("");
    if (!next) return;
    Object.assign(body, next);
  }
  try {
    await api(`/engagements/${id}/stage`, { method: "POST", body: JSON.stringify(body) });
    toast(`已记录：${STAGE_ZH[stage]}`);
    loadFollowups();
  } catch (err) {
    toast("记录失败：" + err.message);
  }
}

async function setNext(id) {
  const next = askNext("");
  if (!next) return;
  try {
    await api(`/engagements/${id}`, { method: "PATCH", body: JSON.stringify(next) });
    toast("已更新下一步");
    loadFollowups();
  } catch (err) {
    toast("更新失败：" + err.message);
  }
}

async function addContract(id) {
  const type = prompt(`合同类型（${CONTRACT_TYPES.join("、")}）：`, "技术开发");
  if (!type) return;
  const amount = prompt("合同金额（万元，可留空）：", "");
  if (amount === null) return;
  const signed = prompt("签约日期（YYYY-MM-DD）：", isoDay(new Date()));
  if (signed === null) return;
  const number = prompt("技术合同登记号（可留空）：", "");
  const body = { type: type.trim(), amount_wan: amount.trim() ? Number(amount) : null, signed_on: signed.trim() || null, registration_no: (number || "").trim() || null };
  if (amount.trim() && !Number.isFinite(body.amount_wan)) return toast("合同金额须为数字");
  try {
    await api(`/engagements/${id}/contracts`, { method: "POST", body: JSON.stringify(body) });
    toast("合同已登记，对接记为已签约");
    loadFollowups();
  } catch (err) {
    toast("登记失败：" + err.message);
  }
}

// -- 统计报表 ----------------------------------------------------------------------------------------------------
function quarter() {
  const now = new Date(), q = Math.floor(now.getMonth() / 3);
  return [isoDay(new Date(now.getFullYear(), q * 3, 1)), isoDay(new Date(now.getFullYear(), q * 3 + 3, 0))];
}

function progressParams(format) {
  const params = new URLSearchParams({ from: $("#rp-from").value, to: $("#rp-to").value, format });
  for (const [id, key] of [["#rp-region", "region"], ["#rp-field", "field"]]) if ($(id).value.trim()) params.set(key, $(id).value.trim());
  return params;
}

async function showProgress(parts = []) {
  leaveNeed();
  const [from, to] = parts.length >= 2 ? parts : quarter();
  $("#need-head").innerHTML = `<div class="t">统计报表</div>
    <div class="row filters"><input id="rp-from" type="date" aria-label="开始日期" value="${esc(from)}"><input id="rp-to" type="date" aria-label="结束日期" value="${esc(to)}">
      <input id="rp-region" aria-label="地区" placeholder="地区（可选）" maxlength="50"><input id="rp-field" aria-label="领域" placeholder="领域（可选）" maxlength="50"></div>
    <div class="row"><button type="button" id="rp-go">统计</button><button type="button" class="ghost" id="rp-xlsx">下载 Excel</button><button type="button" class="ghost" id="rp-print">打印版</button></div>`;
  $("#rp-go").onclick = () => { link(`progress/${$("#rp-from").value}/${$("#rp-to").value}`); loadProgress(); };
  $("#rp-xlsx").onclick = () => fetchFile("/reports/progress?" + progressParams("xlsx"), `统计报表-${$("#rp-from").value}-${$("#rp-to").value}.xlsx`);
  $("#rp-print").onclick = printProgress;
  link(`progress/${from}/${to}`);
  await loadProgress();
}

function bars(rows, unit) {
  const top = Math.max(1, ...rows.map(([, v]) => v));
  return `<div class="bars">${rows.map(([k, v]) => `<div class="barrow"><span class="k">${esc(k)}</span><span class="track"><i style="width:${(100 * v) / top}%"></i></span><b>${v}${unit}</b></div>`).join("")}</div>`;
}

function rankTable(rows, who) {
  return `<table class="grid"><tr><th>名次</th><th>${who}</th><th>签约合同数</th><th>合同金额（万元）</th></tr>${rows.map((r, i) => `<tr><td>${i + 1}</td><td>${esc(r.name)}</td><td>${r.contracts}</td><td>${r.amount_wan}</td></tr>`).join("") || `<tr><td colspan="4" class="muted">本期无签约</td></tr>`}</table>`;
}

async function loadProgress() {
  const view = state.view;
  $("#hits").innerHTML = `<li class="muted">正在统计…</li>`;
  try {
    const r = await api("/reports/progress?" + progressParams("json"));
    if (stale(view)) return;
    const funnel = r.funnel.map((f) => `<tr><td>${esc(f.stage_zh)}</td><td>${f.count}</td><td>${f.median_days === null ? "—" : f.median_days}</td></tr>`).join("");
    $("#hits").innerHTML = `<li class="card report">
      <p>统计区间 ${esc(r.period.from)} 至 ${esc(r.period.to)}：签约合同 <b id="rp-contracts">${r.contracts}</b> 项，合同金额 <b id="rp-amount">${r.contract_amount_wan}</b> 万元。</p>
      <h3>需求进展</h3>${bars(Object.entries(COUNT_ZH).map(([k, zh]) => [zh, r[k]]), " 项")}
      <h3>对接漏斗</h3><table class="grid"><tr><th>阶段</th><th>对接数</th><th>距上一阶段天数（中位数）</th></tr>${funnel}</table>
      <h3>合同类型（金额，万元）</h3>${Object.keys(r.contracts_by_type).length ? bars(Object.entries(r.contracts_by_type).map(([k, v]) => [k, v.amount_wan]), " 万元") : `<p class="muted">本期无签约</p>`}
      <h3>单位排行</h3>${rankTable(r.top_institutions, "单位")}<h3>专家排行</h3>${rankTable(r.top_experts, "专家")}</li>`;
  } catch (err) {
    if (!stale(view)) $("#hits").innerHTML = `<li class="error">统计失败：${esc(err.message)}</li>`;
  }
}

async function printProgress() {
  const res = await fetch("/reports/progress?" + progressParams("html"), { headers: { "X-API-Key": state.key } });
  if (!res.ok) return toast("生成失败");
  window.open(URL.createObjectURL(new Blob([await res.text()], { type: "text/html;charset=utf-8" })), "_blank");
}

ROUTES.followups = (parts) => showFollowups(parts[0] || "");
ROUTES.progress = (parts) => showProgress(parts);
$("#followups-go").onclick = () => showFollowups();
$("#report-go").onclick = () => showProgress();
