"use strict";
// 标注: one need and one outcome at a time; the staff member grades the pair (buttons or keys 0–3) or skips it
// (key S), sees how many judgements the workspace has and what the ranker learnt from them, and an admin retrains.
// Uses app.js helpers ($, esc, api, toast, state, KIND).
const GRADES = [[0, "不相关"], [1, "弱相关"], [2, "相关"], [3, "非常相关"]];
const lab = { queue: [], current: null, busy: false, active: false };

async function labelSummary() {
  const [s, v, h] = await Promise.all([api("/judgements/summary"), api("/version"), api("/health")]);
  const grades = Object.entries(s.by_grade).map(([g, n]) => `${esc(g)} ${n}`).join("，");
  const made = v.model && v.model.created_at ? `当前模型 ${esc(v.model.created_at.slice(0, 16).replace("T", " "))} 生成` +
    (/[\u4e00-\u9fff]/.test(v.model.source || "") && !/[A-Za-z]/.test(v.model.source) ? `（${esc(v.model.source)}）` : "") + "。" : "";
  const trouble = h.status === "degraded" ? `<br><b class="warn">模型状态异常：${h.problems.map(esc).join("；")}</b>` : "";
  $("#label-count").innerHTML = `已标注 <b>${s.judged}</b> 对${grades ? `（${grades}）` : ""}，跳过 ${s.skipped}，` +
    `对接记录折算 ${s.from_feedback} 对` + (s.from_ledger && s.from_ledger.total
      ? `；对接台账共折算 ${s.from_ledger.total} 对（已签约 ${s.from_ledger.signed} 对计为非常相关，不合适 ${s.from_ledger.rejected} 对计为不相关）` : "") +
    `。${s.model ? esc(s.model) + "。" : "尚无排序模型，当前按检索融合排序。"}` +
    made + trouble;
}

async function labelRefill() {
  if (lab.queue.length > 2) return;
  const seen = new Set(lab.queue.map((p) => p.need_id + "\u0000" + p.target_id));
  const more = await api("/judgements/next?count=10&seed=" + Math.floor(Math.random() * 1e6));
  for (const p of more) if (!seen.has(p.need_id + "\u0000" + p.target_id)) lab.queue.push(p);
}

function labelRender() {
  const p = lab.current;
  if (!p) {
    $("#hits").innerHTML = `<li class="muted">暂无待标注的配对：所有进行中需求的候选都已判断或跳过。</li>`;
    return;
  }
  const who = [p.institution, p.experts.slice(0, 3).join("、")].filter(Boolean).map(esc).join(" · ");
  // one column in reading order (need, outcome, the grades): the same order on a phone, a desktop and a screen reader
  $("#hits").innerHTML = `
    <li class="hit label-pair">
      <section aria-label="需求">
        <div class="m">需求</div>
        <div class="t">${esc(p.need_title)}</div>
        <p>${esc(p.need_text || "（无描述）")}</p>
      </section>
      <section aria-label="候选成果">
        <div class="m">候选成果 · ${esc(p.kind_zh)}${p.year ? " · " + p.year : ""} · 当前匹配度 ${p.degree === null ? "尚未校准" : Math.round(p.degree)}</div>
        <div class="t">${esc(p.title)}</div>
        <p>${esc(p.text)}</p>
        <div class="m">${who || "—"}</div>
      </section>
      <div class="grades" role="group" aria-label="这一对相关吗">
        ${GRADES.map(([g, w]) => `<button type="button" data-grade="${g}">${g} ${w}</button>`).join("")}
        <button type="button" class="ghost" data-grade="skip">跳过（S）</button>
      </div>
      <p class="muted small keys">键盘：0 不相关 · 1 弱相关 · 2 相关 · 3 非常相关 · S 跳过（只对屏幕上看得见的这一对起作用）</p>
    </li>`;
  for (const b of document.querySelectorAll(".grades button")) {
    b.onclick = () => labelJudge(b.dataset.grade === "skip" ? null : Number(b.dataset.grade));
  }
  // the next pair starts where the staff member reads: its head back in view if they had scrolled down to the keys
  const top = $(".label-pair").getBoundingClientRect().top;
  if (top < $("header").getBoundingClientRect().bottom || top > window.innerHeight) $(".label-pair").scrollIntoView({ block: "start" });
}

function labelShow() {
  // the whole pair when it fits under the header, else down to its grade buttons
  const pair = $(".label-pair");
  if (!pair) return;
  const room = window.innerHeight - $("header").getBoundingClientRect().bottom;
  if (pair.getBoundingClientRect().height <= room) pair.scrollIntoView({ block: "start" });
  else $(".label-pair .grades").scrollIntoView({ block: "end" });
}

// A key grades only the pair the staff member can see: its grade buttons on the screen, under the header.
function labelInView() {
  const pair = $(".label-pair"), grades = $(".label-pair .grades");
  if (!pair || !grades) return false;
  const r = grades.getBoundingClientRect();
  return r.top >= $("header").getBoundingClientRect().bottom && r.bottom <= window.innerHeight;
}

async function labelNext() {
  try {
    await labelRefill();
  } catch (err) {
    $("#hits").innerHTML = `<li class="error">取不到待标注的配对：${esc(err.message)}</li>`;
    return;
  }
  lab.current = lab.queue.shift() || null;
  labelRender();
}

async function labelJudge(grade) {
  const p = lab.current;
  if (!p || lab.busy) return;
  lab.busy = true;
  for (const b of document.querySelectorAll(".grades button")) b.disabled = true;
  try {
    const body = { need_id: p.need_id, level: "outcome", target_id: p.target_id, grade };
    await api("/judgements", { method: "POST", body: JSON.stringify(body) });
    lab.current = lab.queue.shift() || null;
    if (!lab.current) await labelNext(); else labelRender();
    labelSummary();
    labelRefill().catch(() => {});
  } catch (err) {
    toast("保存失败：" + err.message);
    for (const b of document.querySelectorAll(".grades button")) b.disabled = false;
  } finally {
    lab.busy = false;
  }
}

async function labelStart() {
  leaveNeed();
  lab.active = true;
  $("#need-head").innerHTML = `<div class="t">标注</div><p class="muted">判断每一对需求与成果是否相关；判断越多，排序与匹配度越准。</p>`;
  $("#hits").innerHTML = `<li class="muted">正在挑选最值得判断的配对…</li>`;
  lab.queue = [];
  await labelNext();
}

async function labelRetrain() {
  const btn = $("#label-retrain");
  btn.disabled = true;
  btn.textContent = "训练中…";
  try {
    const r = await api("/judgements/retrain", { method: "POST" });
    toast(r.message);
    labelSummary();
  } catch (err) {
    toast("重新训练未完成：" + err.message);
  } finally {
    btn.disabled = false;
    btn.textContent = "用判断重新训练";
  }
}

document.addEventListener("keydown", (e) => {
  if (!lab.active || !lab.current || e.target.closest("input, textarea, select")) return;
  if (!["0", "1", "2", "3", "s", "S"].includes(e.key)) return;
  if (!labelInView()) {  // out of sight: show the pair instead of grading one the staff member cannot see
    labelShow();
    return toast("请先看清这一对，再按键判断");
  }
  labelJudge(e.key === "s" || e.key === "S" ? null : Number(e.key));
});
// any other view leaves the labelling mode (its keys then type nothing here)
document.addEventListener("click", (e) => {
  if (e.target.closest("aside") && !e.target.closest("#label-card")) lab.active = false;
});
$("#label-go").onclick = () => labelStart().then(labelSummary);
$("#label-retrain").onclick = labelRetrain;
if (state.key) labelSummary().catch(() => {});
