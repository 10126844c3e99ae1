"use strict";
// 配对与对接会: company–institution pairings over a region's open needs, and a visit plan (走出去) whose stops
// together cover the delegation's needs best. Uses app.js helpers ($, esc, api, toast, state).

function planScope() {
  const region = $("#plan-region").value.trim();
  const firms = $("#plan-firms").value.split(/[,，]/).map((s) => s.trim()).filter(Boolean);
  return { region: region || null, firms };
}

function clearNeedView(title) {
  leaveNeed();
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
    const view = state.view;
    const pairs = await api("/pairings?" + params);
    if (stale(view)) return;
    showResults();
    $("#hits").innerHTML = pairs.map((p, i) => `<li class="hit"><div class="rank">${i + 1}</div><div>
      <div class="name">${esc(p.enterprise)} → ${esc(p.institution)}<span class="sub">${esc(p.institution_region || "")} · 预计可解决 ${p.score.toFixed(1)} 项需求</span></div>
      <ul class="evidence">${p.needs.map((n) => `<li><span class="k">需求</span>${esc(n.title)} <span class="muted">（匹配度 ${n.degree.toFixed(0)}）</span></li>`).join("")}</ul>
      <div class="muted">联系专家：${esc(p.experts.join("、") || "—")}</div></div><div class="actions"></div></li>`).join("") || `<li class="muted">没有配对结果。</li>`;
  } catch (err) {
    $("#hits").innerHTML = `<li class="error">计算失败：${esc(err.message)}</li>`;
  }
}

const PLAN_ZH = { visit: "走访计划", delegation: "专家团" };

async function makeVisitPlan() {
  const { region, firms } = planScope();
  if (!region && !firms.length) return toast("请填写企业所在地区或指定企业");
  clearNeedView("走访计划");
  const body = { kind: "visit", k: Number($("#plan-k").value) || 3, enterprises: firms, region, to_region: $("#plan-to").value.trim() || null };
  await savePlan(body);
}

// 专家团 (请进来): the experts to send to a region so that together they serve its enterprises' needs best
async function makeDelegation() {
  const { region } = planScope();
  if (!region) return toast("请填写企业所在地区：专家团为该地区企业的需求组建");
  clearNeedView("专家团");
  await savePlan({ kind: "delegation", k: Number($("#plan-k").value) || 3, region });
}

async function savePlan(body) {
  try {
    const view = state.view;
    const plan = await api("/plans", { method: "POST", body: JSON.stringify(body) });
    if (stale(view)) return toast(`${PLAN_ZH[plan.kind]}已保存，可在「已保存的计划」中查看`);
    link(`plan/${encodeURIComponent(plan.id)}`);
    renderPlan(plan);
    showResults();
  } catch (err) {
    $("#hits").innerHTML = `<li class="error">无法生成：${esc(err.message)}</li>`;
  }
}

function planScopeText(plan) {
  const p = plan.params || {};
  const firms = (p.enterprises || []).join("、");
  const where = [p.region, firms].filter(Boolean).join(" · ");
  return (where || "全部地区") + (p.to_region ? ` → ${p.to_region}` : "");
}

function planDate(plan) {
  return new Date(plan.created_at).toLocaleString("zh-CN", { month: "long", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

function renderPlan(plan) {
  const r = plan.result;
  const who = plan.kind === "delegation" ? "派出专家" : "约见专家";
  $("#need-head").innerHTML = `<div class="t">${PLAN_ZH[plan.kind] || "计划"} · ${esc(planScopeText(plan))}</div>
    <div class="muted">${esc(planDate(plan))} 制定</div>
    <div class="muted">覆盖 ${r.served}/${r.needs} 个需求 · 覆盖得分 ${r.value.toFixed(2)}（${r.optimal ? "已是最佳安排" : "限时内找到的较优安排"}）
    <button class="ghost" id="plan-export">下载议程 Excel</button></div>`;
  $("#plan-export").onclick = () => downloadPlan(plan.id);
  $("#hits").innerHTML = r.stops.map((s) => `<li class="hit"><div class="rank">${s.order}</div><div>
    <div class="name">${esc(s.name)}<span class="sub">${esc(s.region || "")}</span></div>
    <ul class="evidence">${s.agenda.map((a) => `<li><span class="k">${esc(a.enterprise || "企业")}</span>${esc(a.need)} <span class="muted">（匹配度 ${a.degree.toFixed(0)}）</span></li>`).join("")}</ul>
    <div class="muted">${who}：${esc(s.experts.join("、") || "—")}</div></div><div class="actions"></div></li>`).join("");
}

async function listPlans() {
  clearNeedView("已保存的计划");
  link("plans");
  try {
    const view = state.view;
    const plans = await api("/plans?limit=50");
    if (stale(view)) return;
    $("#hits").innerHTML = plans.map((p, i) => `<li class="hit"><div class="rank">${i + 1}</div><div>
      <div class="name"><a href="#plan/${encodeURIComponent(p.id)}">${PLAN_ZH[p.kind] || "计划"} · ${esc(planScopeText(p))}</a>
      <span class="sub">${esc(planDate(p))}</span></div>
      <div class="muted">${p.result.stops.length} ${p.kind === "delegation" ? "位专家" : "站"} · 覆盖 ${p.result.served}/${p.result.needs} 个需求</div></div>
      <div class="actions"></div></li>`).join("") || `<li class="muted">还没有保存的计划。</li>`;
  } catch (err) {
    $("#hits").innerHTML = `<li class="error">读取失败：${esc(err.message)}</li>`;
  }
}

async function downloadPlan(planId) {
  const res = await fetch(`/plans/${encodeURIComponent(planId)}/export?format=xlsx`, { headers: { "X-API-Key": state.key } });
  if (!res.ok) return toast("下载失败");
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await res.blob());
  link.download = "对接议程.xlsx";
  link.click();
  URL.revokeObjectURL(link.href);
}

async function openPlan(planId) {
  clearNeedView("计划");
  try {
    const view = state.view;
    const plan = await api(`/plans/${encodeURIComponent(planId)}`);
    if (!stale(view)) renderPlan(plan);
  } catch (err) {
    $("#hits").innerHTML = `<li class="error">打开计划失败：${esc(err.message)}</li>`;
  }
}

ROUTES.plan = ([planId]) => openPlan(planId);
ROUTES.plans = () => listPlans();
$("#delegation-go").onclick = makeDelegation;
$("#plans-go").onclick = listPlans;
$("#plan").onsubmit = (e) => { e.preventDefault(); makeVisitPlan(); };
$("#pairings-go").onclick = showPairings;
