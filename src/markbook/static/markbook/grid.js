// The markbook grid (ASM-3) and drop entry (ASM-4), drawn by Tabulator (from npm).
//
// Works like a spreadsheet: arrow keys, Tab and Enter move; typing edits; Delete
// clears; Ctrl+Z undoes the last change; a block pasted from Excel or Google Sheets
// lands at the selected cell. Every change is sent to the API's bulk operation with
// the version of the cell it was based on; each cell shows saving, saved or its
// error, and a conflict shows the colleague's value. Unsaved cells are kept in
// localStorage, by ids, values and versions only (never names), until the server has
// them: they survive a reload or a dropped connection and are sent again when it
// returns. markbook.js clears them at sign-out.
(() => {
  "use strict";
  const el = document.getElementById("markbook-grid");
  const source = document.getElementById("markbook-grid-data");
  if (!el || !source || !window.Tabulator) return;

  const grid = JSON.parse(source.textContent);
  const kind = el.dataset.kind; // "marks" or "drop"
  const locked = el.dataset.locked === "1";
  const columnKey = kind === "marks" ? "assignment" : "field";
  const storeKey = [
    "markbook.cells", el.dataset.school, el.dataset.user, kind, el.dataset.class, el.dataset.drop || "",
  ].join(":");
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  const statusEl = document.getElementById("grid-status");
  const problemsEl = document.getElementById("grid-problems");
  const MAX_CELLS = 5000;

  const pupilIds = grid.pupils.map((p) => p.id);
  // A practice set's homework: each pupil's progress (done, done late, started, not started).
  const practiceIds = new Set(grid.columns.filter((c) => c.practice).map((c) => c.id));
  const progress = grid.progress || {};
  const progressLabels = grid.progress_labels || {};
  const columnIds = grid.columns.map((c) => c.id);
  const field = (columnId) => `c${columnId}`;
  const key = (pupil, column) => `${pupil}:${column}`;

  // Per cell: the version stored, its grade, its state and message.
  const cells = new Map();
  for (const [pupil, row] of Object.entries(grid.cells)) {
    for (const [column, [value, version, grade]] of Object.entries(row)) {
      cells.set(key(pupil, column), { version, grade, state: "", message: "" });
    }
  }
  const info = (pupil, column) => {
    const k = key(pupil, column);
    if (!cells.has(k)) cells.set(k, { version: null, grade: "", state: "", message: "" });
    return cells.get(k);
  };

  // --- Unsaved cells, kept in the browser until the server has them -------------
  let pending = {}; // "pupil:column" -> {value, version}
  try {
    pending = JSON.parse(localStorage.getItem(storeKey) || "{}") || {};
  } catch (error) {
    pending = {};
  }
  const keep = () => {
    if (Object.keys(pending).length) localStorage.setItem(storeKey, JSON.stringify(pending));
    else localStorage.removeItem(storeKey);
  };

  // --- The table -----------------------------------------------------------------
  const rows = grid.pupils.map((pupil) => {
    const row = { id: pupil.id, name: pupil.name };
    for (const column of columnIds) {
      const cell = (grid.cells[pupil.id] || {})[column];
      row[field(column)] = cell ? cell[0] : "";
    }
    return row;
  });
  for (const [k, change] of Object.entries(pending)) {
    const [pupil, column] = k.split(":").map(Number);
    const row = rows.find((r) => r.id === pupil);
    if (!row || !columnIds.includes(column)) {
      delete pending[k];
      continue;
    }
    row[field(column)] = change.value;
    info(pupil, column).state = "pending";
  }
  keep();

  let active = { row: 0, col: 0 };
  let typed = null; // the key that opened the editor, if any
  let openEditor = null; // the editor's input, from opening to closing

  const formatCell = (cell) => {
    const pupil = cell.getRow().getData().id;
    const column = cell.getColumn().getDefinition().columnId;
    const about = info(pupil, column);
    const node = cell.getElement();
    node.classList.remove("is-saving", "is-saved", "is-error", "is-conflict", "is-pending", "is-active");
    if (about.state) node.classList.add(`is-${about.state}`);
    const position = { row: pupilIds.indexOf(pupil), col: columnIds.indexOf(column) };
    if (position.row === active.row && position.col === active.col) node.classList.add("is-active");
    node.title = about.message || "";
    node.dataset.pupil = pupil;
    node.dataset.column = column;
    const wrap = document.createElement("span");
    wrap.className = "cell-value";
    wrap.textContent = cell.getValue() || "";
    if (about.grade && about.state !== "error") {
      const grade = document.createElement("span");
      grade.className = "cell-grade";
      grade.textContent = about.grade;
      wrap.append(" ", grade);
    }
    if (practiceIds.has(column)) {
      const status = (progress[pupil] || {})[column] || "not_started";
      const badge = document.createElement("span");
      badge.className = `cell-progress is-${status.replace("_", "-")}`;
      badge.textContent = progressLabels[status] || status;
      wrap.append(" ", badge);
    }
    return wrap;
  };

  const editor = (cell, onRendered, success, cancel) => {
    const input = document.createElement("input");
    input.type = "text";
    input.className = "grid-editor";
    input.setAttribute("aria-label", "Cell value");
    const start = typed;
    typed = null;
    input.value = start !== null ? start : cell.getValue() || "";
    let done = false;
    input.dataset.pupil = cell.getRow().getData().id;
    openEditor = input;
    const finish = () => {
      if (done) return;
      done = true;
      closed();
      success(input.value.trim());
    };
    onRendered(() => {
      input.focus();
      if (start === null) input.select();
    });
    input.addEventListener("blur", finish);
    input.addEventListener("keydown", (event) => {
      const moves = { Enter: [1, 0], Tab: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
      if (event.key === "Escape") {
        done = true;
        closed();
        event.preventDefault();
        event.stopPropagation();
        cancel();
        el.focus();
      } else if (event.key in moves) {
        event.preventDefault();
        event.stopPropagation();
        finish();
        let [dr, dc] = moves[event.key];
        if (event.shiftKey) [dr, dc] = [-dr, -dc];
        move(dr, dc);
        el.focus();
      }
    });
    return input;
  };

  const calc = (values) => {
    const entered = values.filter((v) => v !== "" && v !== null && v !== undefined);
    const numbers = entered.map(Number).filter((n) => !Number.isNaN(n));
    const done = `${entered.length}/${values.length} done`;
    if (kind !== "marks") return done;
    const mean = numbers.length ? (numbers.reduce((a, b) => a + b, 0) / numbers.length).toFixed(1) : "—";
    return `avg ${mean} · ${done}`;
  };

  const titleOf = (column) => {
    const box = document.createElement("span");
    box.className = "column-title";
    const name = document.createElement("strong");
    name.textContent = column.title;
    box.append(name);
    const detail = document.createElement("small");
    detail.textContent = [column.maximum ? `out of ${column.maximum}` : "", column.graded ? "graded" : "", column.detail]
      .filter(Boolean)
      .join(" · ");
    box.append(detail);
    return box;
  };

  const table = new window.Tabulator(el, {
    data: rows,
    index: "id",
    height: "min(70vh, 900px)",
    layout: "fitData",
    renderVertical: "virtual",
    keybindings: false,
    editTriggerEvent: "dblclick", // typing, F2 or a double click opens the editor
    columnCalcs: "bottom",
    columnDefaults: { headerSort: false, resizable: false },
    columns: [
      { title: "Pupil", field: "name", frozen: true, cssClass: "pupil-name", bottomCalc: () => "Class" },
      ...grid.columns.map((column) => ({
        title: column.title,
        titleFormatter: () => titleOf(column),
        field: field(column.id),
        columnId: column.id,
        hozAlign: "center",
        minWidth: 90,
        formatter: formatCell,
        editor,
        editable: () => !locked,
        bottomCalc: calc,
      })),
    ],
  });

  const rowOf = (pupil) => table.getRow(pupil);
  const deferred = new Set(); // rows to redraw once their open editor closes
  const redraw = (pupil) => {
    if (openEditor && openEditor.dataset.pupil === String(pupil)) {
      deferred.add(pupil); // redrawing now would close the editor under the typist
      return;
    }
    const row = rowOf(pupil);
    if (row) row.reformat();
  };
  const closed = () => {
    openEditor = null;
    setTimeout(() => {
      for (const pupil of [...deferred]) {
        deferred.delete(pupil);
        redraw(pupil);
      }
    }, 0);
  };

  const show = (position) => {
    const old = active;
    active = position;
    if (pupilIds[old.row] !== undefined) redraw(pupilIds[old.row]);
    const pupil = pupilIds[active.row];
    redraw(pupil);
    table.scrollToRow(pupil, "nearest", false).catch(() => {});
    table.scrollToColumn(field(columnIds[active.col]), "nearest", false).catch(() => {});
  };
  const move = (dr, dc) => {
    let row = active.row + dr;
    let col = active.col + dc;
    if (col >= columnIds.length) [row, col] = [row + 1, 0];
    if (col < 0) [row, col] = [row - 1, columnIds.length - 1];
    row = Math.max(0, Math.min(pupilIds.length - 1, row));
    col = Math.max(0, Math.min(columnIds.length - 1, col));
    show({ row, col });
  };
  const activeCell = () => rowOf(pupilIds[active.row]).getCell(field(columnIds[active.col]));

  // --- Changes, undo and saving ---------------------------------------------------
  const undo = []; // each entry: the cells of one change, with the values before it

  const change = (edits, remember = true) => {
    // edits: [{pupil, column, value, old?}]; `old` when the editor has already set the cell
    const before = [];
    const updates = new Map();
    for (const { pupil, column, value, old } of edits) {
      const row = rowOf(pupil);
      const was = old !== undefined ? old : row.getData()[field(column)] || "";
      if (was === value) continue;
      before.push({ pupil, column, value: was });
      if (!updates.has(pupil)) updates.set(pupil, {});
      updates.get(pupil)[field(column)] = value;
      queue(pupil, column, value);
    }
    for (const [pupil, values] of updates) rowOf(pupil).update(values);
    for (const pupil of updates.keys()) redraw(pupil);
    if (remember && before.length) undo.push(before);
    if (before.length) {
      report();
      flushSoon();
    }
  };

  const queue = (pupil, column, value) => {
    const k = key(pupil, column);
    const about = info(pupil, column);
    const base = k in pending ? pending[k].version : about.version;
    pending[k] = { value, version: base };
    about.state = "pending";
    about.message = "";
    keep();
  };

  let timer = null;
  let inFlight = false;
  const flushSoon = () => {
    clearTimeout(timer);
    timer = setTimeout(flush, 60);
  };

  const flush = async () => {
    if (inFlight) return;
    const keys = Object.keys(pending).slice(0, MAX_CELLS);
    if (!keys.length) return report();
    inFlight = true;
    const sent = keys.map((k) => {
      const [pupil, column] = k.split(":").map(Number);
      info(pupil, column).state = "saving";
      return { k, pupil, column, value: pending[k].value, version: pending[k].version };
    });
    new Set(sent.map((c) => c.pupil)).forEach(redraw);
    report();
    let answer = null;
    let failure = "";
    try {
      const response = await fetch(el.dataset.saveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({
          cells: sent.map((c) => ({ pupil: c.pupil, [columnKey]: c.column, value: c.value, version: c.version })),
        }),
      });
      if (response.ok) answer = await response.json();
      else if (response.status === 401 || response.status === 403) failure = "signed-out";
      else if (response.status === 422) failure = ((await response.json()).errors || {}).cells?.[0] || "refused";
      else failure = "server";
    } catch (error) {
      failure = "offline";
    }
    inFlight = false;
    if (!answer) {
      for (const c of sent) info(c.pupil, c.column).state = "pending";
      new Set(sent.map((c) => c.pupil)).forEach(redraw);
      report(failure);
      if (failure === "offline" || failure === "server") retryLater();
      return;
    }
    const touched = new Set();
    answer.results.forEach((result, i) => {
      const c = sent[i];
      const about = info(c.pupil, c.column);
      const mine = pending[c.k] && pending[c.k].value === c.value;
      touched.add(c.pupil);
      if (result.outcome === "saved" || result.outcome === "unchanged") {
        about.version = result.version;
        about.grade = result.grade;
        if (mine) {
          delete pending[c.k];
          about.state = "saved";
          about.message = "";
          rowOf(c.pupil).update({ [field(c.column)]: result.value });
        } else if (pending[c.k]) {
          pending[c.k].version = result.version; // a later edit builds on our own write
        }
      } else if (result.outcome === "conflict") {
        delete pending[c.k];
        about.version = result.version;
        about.grade = result.grade;
        about.state = "conflict";
        about.message = result.message;
        rowOf(c.pupil).update({ [field(c.column)]: result.value });
      } else {
        if (mine) delete pending[c.k];
        about.state = "error";
        about.message = result.message;
      }
    });
    keep();
    touched.forEach(redraw);
    report();
    if (Object.keys(pending).length) flushSoon();
  };

  let retry = null;
  const retryLater = () => {
    clearTimeout(retry);
    retry = setTimeout(flush, 5000);
  };
  window.addEventListener("online", () => flush());

  const report = (failure = "") => {
    const waiting = Object.keys(pending).length;
    const refused = [...cells.entries()].filter(([, c]) => c.state === "error" || c.state === "conflict");
    let text = "All changes saved.";
    if (failure === "offline") text = `No connection: ${waiting} unsaved cell(s) are kept in this browser and will be sent when it returns.`;
    else if (failure === "signed-out") text = `You are signed out: ${waiting} unsaved cell(s) are kept in this browser; sign in again to send them.`;
    else if (failure === "server") text = `The server could not save ${waiting} cell(s); trying again shortly.`;
    else if (failure) text = failure;
    else if (inFlight) text = "Saving…";
    else if (waiting) text = `${waiting} cell(s) waiting to be saved.`;
    statusEl.textContent = text;
    statusEl.dataset.state = failure ? "offline" : inFlight || waiting ? "saving" : "saved";
    problemsEl.replaceChildren(
      ...refused.slice(0, 20).map(([, c]) => {
        const li = document.createElement("li");
        li.textContent = c.message;
        return li;
      }),
    );
  };

  // --- Keyboard, mouse and paste ----------------------------------------------------
  table.on("cellClick", (event, cell) => {
    const column = cell.getColumn().getDefinition().columnId;
    if (column === undefined) return;
    show({ row: pupilIds.indexOf(cell.getRow().getData().id), col: columnIds.indexOf(column) });
    el.focus({ preventScroll: true });
  });
  table.on("cellEdited", (cell) => {
    const column = cell.getColumn().getDefinition().columnId;
    const pupil = cell.getRow().getData().id;
    const value = cell.getValue() || "";
    change([{ pupil, column, value, old: cell.getOldValue() || "" }]);
  });

  const editing = () => document.activeElement && document.activeElement.classList.contains("grid-editor");

  el.addEventListener("keydown", (event) => {
    if (editing()) return;
    if (openEditor) {
      // Typed before the new editor had the focus: the key belongs to it.
      if (event.key.length === 1 && !event.ctrlKey && !event.metaKey) {
        event.preventDefault();
        openEditor.value += event.key;
      }
      openEditor.focus();
      return;
    }
    const moves = {
      ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1], Enter: [1, 0], Tab: [0, 1],
    };
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") {
      event.preventDefault();
      const last = undo.pop();
      if (last) change(last, false);
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return; // copy, paste, browser keys
    if (event.key in moves) {
      event.preventDefault();
      let [dr, dc] = moves[event.key];
      if (event.shiftKey && (event.key === "Tab" || event.key === "Enter")) [dr, dc] = [-dr, -dc];
      move(dr, dc);
    } else if ((event.key === "Delete" || event.key === "Backspace") && !locked) {
      event.preventDefault();
      change([{ pupil: pupilIds[active.row], column: columnIds[active.col], value: "" }]);
    } else if (event.key === "F2" && !locked) {
      event.preventDefault();
      activeCell().edit(true);
    } else if (event.key.length === 1 && !locked) {
      event.preventDefault();
      typed = event.key;
      activeCell().edit(true);
    }
  });

  el.addEventListener("paste", (event) => {
    if (editing() || locked) return;
    event.preventDefault();
    const text = (event.clipboardData || window.clipboardData).getData("text");
    const lines = text.replace(/\r\n?/g, "\n").replace(/\n$/, "").split("\n");
    const block = lines.map((line) => line.split("\t"));
    const size = block.reduce((n, line) => n + line.length, 0);
    if (size > MAX_CELLS) {
      report(`That block has ${size.toLocaleString("en-GB")} cells; at most ${MAX_CELLS.toLocaleString("en-GB")} can be pasted at once.`);
      return;
    }
    const edits = [];
    let outside = 0;
    block.forEach((line, r) => line.forEach((value, c) => {
      const pupil = pupilIds[active.row + r];
      const column = columnIds[active.col + c];
      if (pupil === undefined || column === undefined) outside += 1;
      else edits.push({ pupil, column, value: value.trim() });
    }));
    change(edits);
    if (outside) statusEl.textContent += ` ${outside} pasted cell(s) fell outside the grid and were left out.`;
  });

  table.on("tableBuilt", () => {
    show(active);
    report();
    if (Object.keys(pending).length) flush();
  });
})();
