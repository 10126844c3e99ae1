"use strict";
// 导入: a staff file as it is — choose it and its kind, see the guessed column map and the first rows as they will
// be stored, change a column's field, import, read the summary and download the rejected rows.
// Uses app.js helpers ($, esc, toast, state).

const IMPORT_FORMATS = { jsonl: "jsonl", ndjson: "jsonl", json: "jsonl", csv: "csv", tsv: "tsv", xlsx: "xlsx", xls: "xls",
  ris: "ris", enw: "enw", txt: "txt", docx: "docx", zip: "zip" };
const FIELD_ZH = {
  id: "编号", title: "标题/名称", description: "描述", goal: "预期目标", organization: "企业/单位", region: "地区",
  field: "领域", status: "状态", contact_name: "联系人", contact_phone: "电话", contact_email: "邮箱",
  patent_no: "专利申请号", doi: "DOI", grant_no: "项目批准号", abstract: "摘要", keywords: "关键词",
  institution: "完成单位", experts: "完成人/作者", year: "年份", kind: "类型", trl: "技术成熟度", name: "姓名",
  title_: "职称", fields: "研究方向", capacity: "容量", type: "单位类型", aliases: "简称/别名", group: "所属集团",
};
const imp = { file: null, preview: null, rejects: [], overrides: new Map(), headerRow: "", sheet: "" };
const COUNTS_ZH = [["created", "新建"], ["updated", "更新"], ["unchanged", "未变"], ["merged", "合并"],
  ["duplicates", "重复"], ["possible_duplicates", "疑似重复"], ["rejected", "拒绝"]];

const LEDGER_ZH = {  // the 对接台账's columns (kind engagements)
  need: "需求名称", organization: "需求企业", institution: "对接单位", expert: "对接专家", outcome: "对接成果",
  stage: "当前阶段", stage_date: "阶段日期", reason: "不合适原因", contract_type: "合同类型", amount_wan: "合同金额（万元）",
  signed_on: "签约日期", registration_no: "合同登记号", parties: "合同各方", owner: "负责人", next_action: "下一步",
  due_date: "跟进日期", notes: "备注", region: "地区", field: "领域",
};

function fieldLabel(kind, f) {
  if (kind === "engagements") return LEDGER_ZH[f] || f;
  if (kind === "experts" && f === "title") return "职称";
  if ((kind === "experts" || kind === "institutions") && f === "name") return "姓名/名称";
  return FIELD_ZH[f] || f;
}

function importFormat(file) {
  const ext = (file.name.split(".").pop() || "").toLowerCase();
  return IMPORT_FORMATS[ext] || null;
}

async function uploadFile(params) {
  const res = await fetch(`/${$("#imp-kind").value}/bulk?` + params, {
    method: "POST", headers: { "X-API-Key": state.key, "Content-Type": "application/octet-stream" }, body: imp.file,
  });
  // the server names the upload upload.xlsx (it never sees the file's name): say the staff member's own name instead
  const own = (k, v) => (typeof v === "string" ? v.replace(/\bupload\.[a-z0-9]+/gi, imp.file.name) : v);
  const body = await res.text().then((t) => JSON.parse(t, own)).catch(() => ({}));
  if (!res.ok) throw new Error(body.detail || body.title || res.statusText);
  return body;
}

function mappingParams(preview) {
  const params = new URLSearchParams({ format: importFormat(imp.file) });
  if (preview) params.set("preview", "true");
  if (imp.headerRow) params.set("header_row", imp.headerRow);
  if (imp.sheet) params.set("sheet", imp.sheet);
  imp.overrides.forEach((field, column) => params.append("map", `${column}=${field}`));
  return params;
}

function layoutControls() {
  return `<div class="row imp-layout"><label>表头在第 <input id="imp-header-row" type="number" min="1" max="1000" value="${esc(imp.headerRow)}" placeholder="自动" aria-label="表头行" style="width:5em"> 行</label>
    <label>工作表 <input id="imp-sheet" value="${esc(imp.sheet)}" placeholder="全部" aria-label="工作表" style="width:8em"></label></div>`;
}

function bindLayoutControls() {
  $("#imp-header-row").onchange = (e) => { imp.headerRow = e.target.value; refreshPreview(); };
  $("#imp-sheet").onchange = (e) => { imp.sheet = e.target.value.trim(); refreshPreview(); };
}

// a value as staff read it: states and kinds in Chinese, people by their names, never a record's inner field names
function shownValue(k, v) {
  const words = { status: { open: "进行中", closed: "已关闭" }, kind: KIND };
  if (words[k] && words[k][v]) return words[k][v];
  const one = (x) => (x && typeof x === "object" ? x.name || x.title || Object.values(x).filter((y) => typeof y !== "object").join(" ") : String(x));
  if (Array.isArray(v)) return v.map(one).filter(Boolean).join("、");
  return one(v);
}

// the importer's "no title column" answer names the field and a command line option: said here in the page's words
function plainError(text) {
  const found = /^找不到可作为 \S+ 的列。文件的列：(.*?)；可用的列名：(.*?)（或用/.exec(text);
  if (!found) return String(text).replace(/（或用 --map[^）]*）/g, "");
  const names = found[2].split("、").filter((w) => !/[A-Za-z]/.test(w)).slice(0, 5).join("、");
  return `所选表头行里没有名称或标题列（该行的内容：${found[1]}）。标题列可以叫 ${names} 等；请改选表头所在的行。`;
}

function renderPreview(p) {
  if (p.error) {
    $("#imp-preview").innerHTML = `${layoutControls()}<p class="error">无法导入：${esc(plainError(p.error))}</p>`;
    bindLayoutControls();
    return;
  }
  const options = (guess) => [`<option value="-"${guess === "-" ? " selected" : ""}>（不导入）</option>`,
    ...p.fields.map((f) => `<option value="${esc(f)}"${f === guess ? " selected" : ""}>${esc(fieldLabel(p.kind, f))}</option>`)].join("");
  const rows = p.headers.map((h) => {
    const guess = p.mapping[h] || "-";
    return `<tr><td>${esc(h)}</td><td><select data-column="${esc(h)}" data-guess="${esc(guess)}" aria-label="${esc(h)} 对应字段">${options(guess)}</select></td></tr>`;
  }).join("");
  const order = (k) => (["title", "name"].includes(k) ? -1 : p.fields.indexOf(k) < 0 ? p.fields.length : p.fields.indexOf(k));
  const mapped = (record) => Object.entries(record).filter(([k, v]) => k !== "id" && v !== "" && !(Array.isArray(v) && !v.length))
    .sort(([a], [b]) => order(a) - order(b)).map(([k, v]) => `${esc(fieldLabel(p.kind, k))}：${esc(shownValue(k, v))}`).join(" · ");
  const first = new Map();  // a record's id → the line that first holds it: a later line is the same record again
  const sample = p.rows.map((r) => {
    if (!r.record) return `<li class="error">第 ${r.line} 行将被拒：${esc(r.reason)}</li>`;
    const again = first.get(r.record.id);
    if (!again) first.set(r.record.id, r.line);
    return again ? `<li class="dup">第 ${r.line} 行与第 ${again} 行重复：导入时合为一条，不会新建</li>` : `<li>第 ${r.line} 行：${mapped(r.record)}</li>`;
  }).join("");
  const notes = (p.notes || []).map((n) => `<div class="muted">${esc(n)}</div>`).join("");
  const none = p.rows.length ? "" : `<p class="error">没有可导入的行：表头下没有数据行，或所选表头行、工作表不对。</p>`;
  $("#imp-preview").innerHTML = `${layoutControls()}${notes}<table id="imp-map" class="map"><thead><tr><th>文件中的列</th><th>导入为</th></tr></thead><tbody>${rows}</tbody></table>
    <div class="muted">前 ${p.rows.length} 行将存为：</div><ul class="sample">${sample}</ul>${none}
    <label><input type="checkbox" id="imp-clear"> 空单元格清空原有内容（默认不改动）</label>
    <button type="button" id="imp-go">导入</button>`;
  $("#imp-go").onclick = runImport;
  bindLayoutControls();
  document.querySelectorAll("#imp-map select").forEach((s) => (s.onchange = () => {
    imp.overrides.set(s.dataset.column, s.value);
    refreshPreview();
  }));
}

// the preview and the summary take the results column (the sidebar is too narrow for a column map and its rows)
function importView() {
  leaveNeed();
  link("");
  const what = $("#imp-kind").selectedOptions[0].textContent;
  $("#need-head").innerHTML = `<div class="t">导入 · ${esc(what)}</div>
    <p class="muted">${esc(imp.file.name)}：先核对每一列导入为什么、前几行将存成什么，再点「导入」。</p>`;
  $("#hits").innerHTML = `<li class="card import-view"><div id="imp-preview"><p class="muted">正在读取…</p></div><div id="imp-summary"></div></li>`;
}

async function refreshPreview() {
  const asked = (imp.asked = (imp.asked || 0) + 1);  // only the latest choice's answer is drawn
  try {
    const preview = await uploadFile(mappingParams(true));
    if (asked !== imp.asked || !$("#imp-preview")) return;
    imp.preview = preview;
    renderPreview(preview);
  } catch (err) {
    if (asked === imp.asked && $("#imp-preview")) $("#imp-preview").innerHTML = `<p class="error">无法预览：${esc(err.message)}</p>`;
  }
}

async function previewImport(e) {
  e.preventDefault();
  imp.file = $("#imp-file").files[0] || null;
  imp.overrides = new Map();
  imp.headerRow = "";
  imp.sheet = "";
  if (!imp.file) return toast("请选择文件");
  if (!importFormat(imp.file)) return toast("不支持的文件类型：请用 xlsx、xls、csv、jsonl、ris、txt、docx 或 zip");
  importView();
  await refreshPreview();
  showResults();
}

function downloadRejects() {
  const lines = [["行号", "原因", "内容"], ...imp.rejects.map((r) => [r.line, r.reason, JSON.stringify(r.row ?? "")])];
  const csv = "\ufeff" + lines.map((l) => l.map((c) => `"${String(c).replace(/"/g, '""').replace(/^([=+\-@\t\r])/, "'$1")}"`).join(",")).join("\r\n");
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([csv], { type: "text/csv;charset=utf-8" }));
  link.download = "未导入的行.csv";
  link.click();
  URL.revokeObjectURL(link.href);
}

async function runImport() {
  const button = $("#imp-go");
  button.disabled = true;
  button.textContent = "正在导入…";
  try {
    const params = mappingParams(false);
    if ($("#imp-clear") && $("#imp-clear").checked) params.set("clear_empty", "true");
    const r = await uploadFile(params);
    imp.rejects = r.rejects || [];
    if (!$("#imp-summary")) return toast(`导入 ${r.accepted} 条，拒绝 ${r.rejected} 条`);  // the staff member moved on
    const counts = COUNTS_ZH.map(([k, zh]) => `${zh} ${(r.counts || {})[k] || 0}`).join("，");
    const notes = (r.notes || []).map((n) => `<div class="muted">${esc(n)}</div>`).join("");
    $("#imp-summary").innerHTML = `<p><b>导入 ${r.accepted} 条</b>，拒绝 ${r.rejected} 条${r.merged ? `，合并专家 ${r.merged} 位` : ""}。</p>
      <p class="muted">${counts}；与已存记录相符 ${r.matched_stored || 0} 行。</p>${notes}
      ${r.rejected ? `<button type="button" class="ghost" id="imp-rejects">下载未导入的行</button>` : ""}
      <div id="imp-duplicates"></div>`;
    if (r.rejected) $("#imp-rejects").onclick = downloadRejects;
    if ((r.counts || {}).possible_duplicates) loadDuplicates();
    $("#imp-preview").innerHTML = "";
    if ($("#imp-kind").value === "needs" || $("#imp-kind").value === "engagements") loadNeeds();
    if (r.kind === "engagements" && (r.notes || []).length) $("#imp-summary").insertAdjacentHTML("beforeend", `<p class="muted">${esc(r.notes[r.notes.length - 1])}</p>`);
    if (r.searchable) followIndex(r.searchable);
  } catch (err) {
    toast("导入失败：" + err.message);
    button.disabled = false;
    button.textContent = "导入";
  }
}

// possible duplicates (same name and unit, nothing agreeing): staff confirm (one person) or reject (two people)
async function loadDuplicates() {
  const res = await fetch("/experts/duplicates", { headers: { "X-API-Key": state.key } });
  const list = res.ok ? await res.json() : [];
  if (!$("#imp-duplicates")) return;
  const person = (e) => `${esc(e.name)}（${esc(e.institution || "单位未填")}${e.title ? "，" + esc(e.title) : ""}）`;
  $("#imp-duplicates").innerHTML = list.length ? `<p><b>疑似重复的专家</b>（同名同单位，没有相同的邮箱、电话或研究方向）：</p><ul>${list.map((d) =>
    `<li>${person(d.expert)} 与 ${person(d.other)}：${esc(d.reason)}
      <button type="button" class="ghost" data-dup="${d.pk}" data-act="confirm">是同一人</button>
      <button type="button" class="ghost" data-dup="${d.pk}" data-act="reject">不是同一人</button></li>`).join("")}</ul>` : "";
  document.querySelectorAll("#imp-duplicates button").forEach((b) => (b.onclick = async () => {
    const res = await fetch(`/experts/duplicates/${b.dataset.dup}/${b.dataset.act}`, { method: "POST", headers: { "X-API-Key": state.key } });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) return toast(body.detail || "操作失败");
    toast(b.dataset.act === "confirm" ? "已合并（可在合并记录中撤销）" : "已确认为两人");
    loadDuplicates();
  }));
}

$("#imp").onsubmit = previewImport;

// the browser's own file button speaks the browser's language: the page shows its own, in Chinese
$("#imp-file").onchange = () => {
  const file = $("#imp-file").files[0];
  $("#imp-file-name").textContent = file ? file.name : "未选择文件";
};

// After an import: say when matching finds the new records — the server's live index applies them within
// seconds; follow GET /version until nothing is pending (at most a minute), then say they are searchable.
async function followIndex(words) {
  $("#imp-summary").insertAdjacentHTML("beforeend", `<p class="muted" id="imp-live" role="status">${esc(words)}</p>`);
  for (let i = 0; i < 60; i++) {
    await new Promise((done) => setTimeout(done, 1000));
    const line = $("#imp-live");
    if (!line) return;
    try {
      const v = await api("/version");
      if (v.index && v.index.pending === 0 && v.index.indexed >= 0) {
        line.textContent = "新记录现已可检索：可在匹配中找到它们";
        return;
      }
    } catch (err) {
      return;
    }
  }
}
