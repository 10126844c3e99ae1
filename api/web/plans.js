"use strict";
// 配对与对接会: company–institution pairings over a region's open needs, and a visit plan (走出去) whose stops
// together cover the delegation's needs best. Uses app.js helpers ($, esc, api, toast, state).

function planScope() {
  const region = $("#plan-region").value.trim();
  const firms = $("#plan-firms").value.split(/[,，]/).map((s) => s.trim()).filter(Boolean);
  return { region: region || null, firms };
}

function clearNeedView(title) {
  state.need = null;
  state.text = null;
  $("#tabs").hidden = true;
  $("#history-card").hidden = true;
  $("#batch-card").hidden = true;
  $("#notice").hidden = true;
  $("#need-head").innerHTML = `<div class="t">${esc(title)}</div>`;
  $("#hits").innerHTML = `<li class="muted">正在计算…</li>`;
}

async function showPairings() {
  const { region, firms } = planScope();
  clearNeedView("企业—单位配对" + (region ? ` · ${region}` : ""));
  const params = new URLSearchParams({ top: 3 });
  if (region) params.set("region", region);
  if (firms.length === 1) params.set("enterprise", firms[0]);
  const to = $("#plan-to").value.trim();
  if (to) params.set("institution_region", to);
  try {
    const pairs = await api("/pairings?" + params);
    $("#hits").innerHTML = pairs.map((p, i) => `<li class="hit"><div class="rank">${i + 1}</div><div>
      <div class="name">${esc(p.enterprise)} → ${esc(p.institution)}<span class="sub">${esc(p.institution_region || "")} · 预计可解决 ${p.score.toFixed(1)} 项需求</span></div>
      <ul class="evidence">${p.needs.map((n) => `<li><span class="k">需求</span>${esc(n.title)} <span class="muted">（匹配度 ${n.degree.toFixed(0)}）</span></li>`).join("")}</ul>
      <div class="muted">联系专家：${esc(p.experts.join("、") || "—")}</div></div><div class="actions"></div></li>`).join("") || `<li class="muted">没有配对结果。</li>`;
  } catch (err) {
    $("#hits").innerHTML = `<li class="error">计算失败：${esc(err.message)}</li>`;
  }
}

async function makeVisitPlan() {
  const { region, firms } = planScope();
  if (!region && !firms.length) return toast("请填写企业所在地区或指定企业");
  clearNeedView("走访计划");
  const body = { kind: "visit", k: Number($("#plan-k").value) || 3, enterprises: firms, region, to_region: $("#plan-to").value.trim() || null };
  try {
    const plan = await api("/plans", { method: "POST", body: JSON.stringify(body) });
    renderPlan(plan);
  } catch (err) {
    $("#hits").innerHTML = `<li class="error">无法生成：${esc(err.message)}</li>`;
  }
}

function renderPlan(plan) {
  const r = plan.result;
  $("#need-head").innerHTML = `<div class="t">走访计划 ${esc(plan.id)}</div>
    <div class="muted">覆盖 ${r.served}/${r.needs} 个需求 · 覆盖得分 ${r.value.toFixed(2)}（${r.optimal ? "最优" : "时限内最好"}；贪心法 ${r.greedy_value.toFixed(2)}）
    <button class="ghost" id="plan-export">下载议程 Excel</button></div>`;
  $("#plan-export").onclick = () => downloadPlan(plan.id);
  $("#hits").innerHTML = r.stops.map((s) => `<li class="hit"><div class="rank">${s.order}</div><div>
    <div class="name">${esc(s.name)}<span class="sub">${esc(s.region || "")}</span></div>
    <ul class="evidence">${s.agenda.map((a) => `<li><span class="k">${esc(a.enterprise || "企业")}</span>${esc(a.need)} <span class="muted">（匹配度 ${a.degree.toFixed(0)}）</span></li>`).join("")}</ul>
    <div class="muted">约见专家：${esc(s.experts.join("、") || "—")}</div></div><div class="actions"></div></li>`).join("");
}

async function downloadPlan(planId) {
  const res = await fetch(`/plans/${encodeURIComponent(planId)}/export?format=xlsx`, { headers: { "X-API-Key": state.key } });
  if (!res.ok) return toast("下载失败");
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await res.blob());
  link.download = `matcher-${planId}.xlsx`;
  link.click();
  URL.revokeObjectURL(link.href);
}

$("#plan").onsubmit = (e) => { e.preventDefault(); makeVisitPlan(); };
$("#pairings-go").onclick = showPairings;
