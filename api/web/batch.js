"use strict";
// 夜间批量推荐: the runs, a run's proposals across needs (filter, Excel), a need's proposals beside its matches.
// Uses app.js helpers ($, esc, api, toast, state, stale, link, showResults) and plans.js's clearNeedView.

const RUN_ZH = { queued: "排队中", running: "运行中", done: "已完成", failed: "失败", cancelled: "已取消" };

async function loadRuns() {
  const runs = await api("/batch-runs?limit=5");
  $("#runs").innerHTML = runs.map((r) => {
    const p = r.progress, s = r.stats;
    const detail = r.status === "done"
      ? `${esc(runSentence(r))} <button class="ghost" data-run="${esc(r.id)}">查看全部</button><button class="ghost" data-export="${esc(r.id)}">下载 Excel</button>`
      : `${p.scored}/${p.needs} 个需求${r.error ? " · " + esc(r.error) : ""}`;
    return `<li><b>${esc(runName(r))}</b> <span class="st ${r.status}">${RUN_ZH[r.status]}</span><div class="muted">${detail}</div></li>`;
  }).join("") || `<li class="muted">还没有批量运行</li>`;
  document.querySelectorAll("#runs [data-export]").forEach((b) => (b.onclick = () => download(b.dataset.export)));
  document.querySelectorAll("#runs [data-run]").forEach((b) => (b.onclick = () => showRun(b.dataset.run)));
  clearTimeout(loadRuns.t);
  if (runs.some((r) => r.status === "queued" || r.status === "running")) loadRuns.t = setTimeout(loadRuns, 2000);
}

// A done run's counts as one sentence: how many needs, how many proposals, and which needs got none or too few.
function runSentence(run) {
  const s = run.stats, none = s.unserved.filter((u) => !u.proposed).length, few = s.unserved.length - none;
  const per = run.params && run.params.per_need;
  const rest = [none ? `${none} 个需求无合适人选` : "", few ? `${few} 个需求${per ? `推荐不足 ${per} 位` : "推荐未满"}` : ""].filter(Boolean);
  return `为 ${s.needs} 个需求推荐 ${s.proposals} 条；` + (rest.length ? `其中 ${rest.join("，")}` : "每个需求都有推荐");
}

function runName(run) {
  const at = new Date(run.created_at).toLocaleString("zh-CN", { month: "long", day: "numeric", hour: "2-digit", minute: "2-digit" });
  return `${at} 的批量运行`;
}

const ROLE_ZH = { proposal: "推荐", alternate: "备选", left_out: "未推荐" };

// One run's proposals across every need: filter by any word (need, enterprise, expert, institution, region) and
// by role; the Excel download holds the same rows.
async function showRun(runId) {
  clearNeedView("批量推荐");
  link(`run/${encodeURIComponent(runId)}`);
  try {
    const view = state.view;
    const [run, rows] = await Promise.all([api(`/batch-runs/${encodeURIComponent(runId)}`), api(`/batch-runs/${encodeURIComponent(runId)}/proposals`)]);
    if (stale(view)) return;
    $("#need-head").innerHTML = `<div class="t">批量推荐 · ${esc(runName(run))}</div>
      <div class="muted run-sentence">${esc(runSentence(run))}
      <button class="ghost" id="run-export">下载 Excel</button></div>
      <div class="row filters"><input id="run-filter" aria-label="筛选推荐" placeholder="按需求、企业、专家、单位或地区筛选" maxlength="100">
      <select id="run-role" aria-label="推荐类型"><option value="">全部</option><option value="proposal">推荐</option><option value="alternate">备选</option><option value="left_out">未推荐</option></select></div>`;
    $("#run-export").onclick = () => download(runId);
    const draw = () => {
      const word = $("#run-filter").value.trim();
      const role = $("#run-role").value;
      const shown = rows.filter((r) => (!role || r.role === role) && (!word || [r.need, r.organization, r.need_region, r.expert, r.institution, r.expert_region].some((x) => (x || "").includes(word))));
      $("#hits").innerHTML = `<li class="run-rows"><div class="muted">显示 ${shown.length} / ${rows.length} 条</div><div class="scroll"><table class="grid"><tr><th>需求</th><th>企业</th><th>类型</th><th>专家</th><th>单位</th><th>匹配度</th></tr>${shown.map((r) => `<tr class="${r.role}">
        <td><a href="#need/${encodeURIComponent(r.need_id)}/expert">${esc(r.need)}</a></td><td>${esc(r.organization)}<span class="muted"> ${esc(r.need_region)}</span></td>
        <td>${ROLE_ZH[r.role]}${r.reason ? `<span class="muted">（${esc(r.reason)}）</span>` : ""}</td><td>${esc(r.expert)}<span class="muted"> ${esc(r.title)}</span></td>
        <td>${esc(r.institution)}<span class="muted"> ${esc(r.expert_region)}</span></td><td>${r.score.toFixed(0)}</td></tr>`).join("")}</table></div></li>`;
    };
    $("#run-filter").oninput = draw;
    $("#run-role").onchange = draw;
    draw();
    showResults();
  } catch (err) {
    $("#hits").innerHTML = `<li class="error">读取失败：${esc(err.message)}</li>`;
  }
}

async function startBatch() {
  try {
    const run = await api("/batch-runs", { method: "POST", body: JSON.stringify({ needs: "open" }) });
    toast("批量运行已开始");
    loadRuns();
  } catch (err) {
    toast("无法开始：" + err.message);
  }
}

async function download(runId) {
  const res = await fetch(`/batch-runs/${encodeURIComponent(runId)}/export?format=xlsx`, { headers: { "X-API-Key": state.key } });
  if (!res.ok) return toast("下载失败");
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await res.blob());
  link.download = "批量推荐清单.xlsx";
  link.click();
  URL.revokeObjectURL(link.href);
}

async function loadBatchProposals() {
  const card = $("#batch-card");
  card.hidden = true;
  if (!state.need) return;
  const need = state.need.id, view = state.view;
  const done = (await api("/batch-runs?limit=20")).find((r) => r.status === "done");
  if (!done) return;
  const rows = await api(`/batch-runs/${encodeURIComponent(done.id)}/proposals?need_id=${encodeURIComponent(need)}`);
  if (stale(view)) return;
  const unserved = done.stats.unserved.find((u) => u.need_id === need);
  const item = (r) => `<span class="${r.role}">${esc(r.expert)}<span class="muted">（${esc(r.institution)} · 匹配度 ${r.score.toFixed(0)}${r.same_region ? " · 同地区" : ""}）</span></span>`;
  card.innerHTML = `<h3>夜间批量推荐 <span class="muted">${esc(runName(done))}</span></h3>
    <div>推荐：${rows.filter((r) => r.role === "proposal").map(item).join("、") || "—"}</div>
    <div class="muted">备选：${rows.filter((r) => r.role === "alternate").map(item).join("、") || "—"}</div>
    ${unserved ? `<div class="notice">${esc(unserved.detail)}</div>` : ""}`;
  card.hidden = false;
}

ROUTES.run = ([runId]) => showRun(runId);
$("#batch-start").onclick = startBatch;
