// A virtualised list: whatever the number of results (a million accounts), the DOM
// holds only the rows in view plus a small margin. Rows are fetched by pages and
// cached; past the browser's maximum element height the scrollbar is scaled.
import { h, clear } from './dom.js';

const PAGE = 200;
const OVERSCAN = 8;
const MAX_PX = 8_000_000;
const SETTLE_MS = 50;

export class VirtualList {
  constructor({ columns, colsClass, rowHeight = 40, fetchPage, renderCells, onOpen, onSort, label }) {
    this.columns = columns;
    this.rowHeight = rowHeight;
    this.fetchPage = fetchPage;
    this.renderCells = renderCells;
    this.onOpen = onOpen;
    this.onSort = onSort;
    this.total = 0;
    this.pages = new Map();
    this.loading = new Set();
    this.generation = 0;
    this.selected = -1;
    this.sort = null;
    this.head = h('div', { class: `siec-vlist__head ${colsClass}`, role: 'row' });
    this.spacer = h('div', { class: 'siec-vlist__spacer' });
    this.window = h('div', { class: 'siec-vlist__window', role: 'rowgroup' });
    this.scroller = h('div', { class: 'siec-vlist__scroll', tabindex: '0', id: 'results-scroll' }, this.spacer, this.window);
    this.el = h('div', { class: 'siec-vlist', role: 'grid', 'aria-label': label, 'aria-rowcount': '0', id: 'results' }, this.head, this.scroller);
    this.colsClass = colsClass;
    this.scroller.addEventListener('scroll', () => this.schedule());
    // One listener for every row, present and future.
    const rowIndex = (e) => {
      const el = e.target.closest('.siec-vlist__row');
      return el && !el.classList.contains('siec-vlist__row--loading') ? Number(el.dataset.index) : -1;
    };
    // One click opens the row, as a link would.
    this.window.addEventListener('click', (e) => {
      const i = rowIndex(e);
      if (i < 0) return;
      this.select(i);
      const row = this.rowAt(i);
      if (row) this.onOpen(row);
    });
    this.scroller.addEventListener('keydown', (e) => this.key(e));
    new ResizeObserver(() => this.schedule()).observe(this.scroller);
    // The list takes the rest of the window, so the page itself does not scroll.
    this.fit = () => {
      const top = this.scroller.getBoundingClientRect().top;
      if (top > 0) this.scroller.style.height = `${Math.max(256, window.innerHeight - top - 24)}px`;
    };
    window.addEventListener('resize', this.fit);
    requestAnimationFrame(this.fit);
    this.renderHead();
  }

  renderHead() {
    clear(this.head);
    for (const col of this.columns) {
      const cell = h('span', { role: 'columnheader', dataset: { col: col.key } });
      if (col.sort) {
        const dir = this.sort && this.sort.key === col.sort ? (this.sort.descending ? 'descending' : 'ascending') : null;
        if (dir) cell.setAttribute('aria-sort', dir);
        cell.append(h('button', { type: 'button', title: `Trier par ${col.label.toLowerCase()}`, onclick: () => this.toggleSort(col.sort) }, col.label));
      } else {
        cell.append(col.label);
      }
      this.head.append(cell);
    }
  }

  toggleSort(key) {
    const descending = this.sort && this.sort.key === key ? !this.sort.descending : false;
    this.sort = { key, descending };
    this.renderHead();
    this.onSort?.(this.sort);
  }

  /// New results: the first page and the total; later pages come on scroll.
  reset(total, firstRows, exact = true) {
    this.fit();
    this.exact = exact;
    this.generation += 1;
    this.total = total;
    this.pages = new Map([[0, firstRows]]);
    this.loading = new Set();
    this.selected = total > 0 ? 0 : -1;
    this.el.setAttribute('aria-rowcount', String(total));
    const full = total * this.rowHeight;
    this.spacer.style.height = `${Math.min(full, MAX_PX)}px`;
    this.scroller.scrollTop = 0;
    this.render();
  }

  grow(total, final = false) {
    this.total = total;
    if (final) this.exact = true;
    this.el.setAttribute('aria-rowcount', this.exact ? String(total) : '-1');
    this.spacer.style.height = `${Math.min(total * this.rowHeight, MAX_PX)}px`;
    this.schedule();
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      this.render();
    });
  }

  // Maps the scroll position onto a row index, scaled when the list is taller than
  // the browser allows an element to be.
  firstVisible() {
    const view = this.scroller.clientHeight;
    const full = this.total * this.rowHeight;
    const top = this.scroller.scrollTop;
    if (full <= MAX_PX) return { index: Math.floor(top / this.rowHeight), shift: top % this.rowHeight };
    const maxTop = Math.max(1, MAX_PX - view);
    const virtualTop = (top / maxTop) * (full - view);
    const index = Math.floor(virtualTop / this.rowHeight);
    return { index, shift: virtualTop - index * this.rowHeight };
  }

  render() {
    const { index, shift, start, end } = this.range();
    const offset = this.scroller.scrollTop - shift - (index - start) * this.rowHeight;
    this.window.style.transform = `translateY(${offset}px)`;
    // Rows already on screen are kept (scrolling by one row builds one row, not
    // forty): less garbage for the page's collector while scrolling a long list.
    const kept = new Map();
    for (const el of this.window.children) {
      if (el.dataset.generation === String(this.generation) && !el.classList.contains('siec-vlist__row--loading')) kept.set(Number(el.dataset.index), el);
    }
    const rows = [];
    let missing = false;
    for (let i = start; i < end; i++) {
      let el = kept.get(i);
      if (!el) {
        const page = Math.floor(i / PAGE);
        const data = this.pages.get(page);
        if (!data) missing = true;
        el = this.buildRow(i, data ? data[i - page * PAGE] : null);
      }
      el.setAttribute('aria-selected', i === this.selected ? 'true' : 'false');
      rows.push(el);
    }
    this.window.replaceChildren(...rows);
    this.window.dataset.rendered = String(rows.length);
    if (missing) this.loadWhenSettled();
  }

  // Pages are fetched once the view has stayed put a moment: dragging the
  // scrollbar across a million rows asks for the pages it stops on, not for every
  // one it flies past (each would be a query, then garbage for the page).
  loadWhenSettled() {
    clearTimeout(this.settle);
    this.settle = setTimeout(() => {
      const { start, end } = this.range();
      const last = Math.floor(Math.max(start, end - 1) / PAGE);
      for (let p = Math.floor(start / PAGE); p <= last; p++) if (!this.pages.has(p)) this.load(p);
    }, SETTLE_MS);
  }

  /// The rows drawn for the current scroll position (the visible ones and a margin).
  range() {
    const view = this.scroller.clientHeight || 600;
    const { index, shift } = this.firstVisible();
    const start = Math.max(0, index - OVERSCAN);
    const end = Math.min(this.total, start + Math.ceil(view / this.rowHeight) + 2 * OVERSCAN);
    return { index, shift, start, end };
  }

  buildRow(i, row) {
    const attrs = { class: `siec-vlist__row ${this.colsClass}`, role: 'row', 'aria-rowindex': String(i + 1), dataset: { index: String(i), generation: String(this.generation) } };
    if (row) return h('div', attrs, this.renderCells(row).map((c) => h('span', { role: 'gridcell' }, c)));
    attrs.class += ' siec-vlist__row--loading';
    return h('div', attrs, h('span', { role: 'gridcell' }, 'Chargement…'));
  }

  async load(page) {
    if (this.loading.has(page)) return;
    this.loading.add(page);
    const generation = this.generation;
    try {
      const rows = await this.fetchPage(page * PAGE, PAGE);
      if (generation !== this.generation) return;
      this.pages.set(page, rows);
      // A capped count: the list grows while full pages keep coming.
      if (!this.exact && rows.length === PAGE && (page + 1) * PAGE >= this.total) this.grow(this.total + 10 * PAGE);
      if (!this.exact && rows.length < PAGE) this.grow(page * PAGE + rows.length, true);
      // Keep memory flat while scrolling a million rows: only pages near the view stay.
      if (this.pages.size > 12) {
        const here = Math.floor(this.firstVisible().index / PAGE);
        for (const p of this.pages.keys()) if (Math.abs(p - here) > 3) this.pages.delete(p);
      }
      this.schedule();
    } finally {
      if (generation === this.generation) this.loading.delete(page);
    }
  }

  rowAt(i) {
    const page = this.pages.get(Math.floor(i / PAGE));
    return page ? page[i % PAGE] : null;
  }

  select(i) {
    if (this.total === 0) return;
    this.selected = Math.max(0, Math.min(this.total - 1, i));
    this.scrollToSelected();
    this.render();
  }

  scrollToSelected() {
    const full = this.total * this.rowHeight;
    if (full > MAX_PX) {
      const maxTop = MAX_PX - this.scroller.clientHeight;
      const ratio = (this.selected * this.rowHeight) / Math.max(1, full - this.scroller.clientHeight);
      const { index } = this.firstVisible();
      const visible = Math.floor(this.scroller.clientHeight / this.rowHeight);
      if (this.selected < index || this.selected >= index + visible) this.scroller.scrollTop = Math.min(maxTop, ratio * maxTop);
      return;
    }
    const top = this.selected * this.rowHeight;
    if (top < this.scroller.scrollTop) this.scroller.scrollTop = top;
    else if (top + this.rowHeight > this.scroller.scrollTop + this.scroller.clientHeight) {
      this.scroller.scrollTop = top + this.rowHeight - this.scroller.clientHeight;
    }
  }

  key(e) {
    const visible = Math.max(1, Math.floor(this.scroller.clientHeight / this.rowHeight) - 1);
    const moves = { ArrowDown: 1, ArrowUp: -1, PageDown: visible, PageUp: -visible };
    if (e.key in moves) {
      e.preventDefault();
      this.select((this.selected < 0 ? 0 : this.selected) + moves[e.key]);
    } else if (e.key === 'Home') {
      e.preventDefault();
      this.select(0);
    } else if (e.key === 'End') {
      e.preventDefault();
      this.select(this.total - 1);
    } else if (e.key === 'Enter') {
      const row = this.rowAt(this.selected);
      if (row) {
        e.preventDefault();
        this.onOpen(row);
      }
    }
  }
}
