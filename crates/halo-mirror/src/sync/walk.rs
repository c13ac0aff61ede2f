//! One resource's sync: the reads its [`Signal`] calls for, each page saved with the cursor
//! that covers it.

use super::signal::{Signal, signal, sweeps_by_idonly, takes};
use super::{Plan, Progress, Sweep, SyncError};
use crate::{Cursor, Key, Mirror, RunLine, Table};
use futures::{Stream, StreamExt};
use halopsa::{ApiRequest, ListOptions, PageRows, ResumePoint};
use jiff::Timestamp;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Rows per transaction when a list comes in one reply (actions, lookups), and the most
/// rows a batch of pages stored together holds.
const SAVE_CHUNK: usize = 10_000;

/// Pages fetched ahead of the store.
const AHEAD: usize = 100;

type Pages = tokio::sync::mpsc::Receiver<PageRows<Value>>;

/// Fetches `pages` into `tx` while the store works on earlier ones; stops when the store has
/// stopped (`tx` closed).
async fn fetch(
    pages: impl Stream<Item = Result<PageRows<Value>, halopsa::Error>>,
    tx: tokio::sync::mpsc::Sender<PageRows<Value>>,
) -> Result<(), halopsa::Error> {
    let mut pages = std::pin::pin!(pages);
    while let Some(page) = pages.next().await {
        if tx.send(page?).await.is_err() {
            break;
        }
    }
    Ok(())
}

/// The next pages to store: the first to arrive and every one fetched meanwhile, up to
/// [`SAVE_CHUNK`] rows, stored in one transaction (fewer, larger commits; the cursor still
/// covers exactly the rows stored with it).
async fn next_batch(rx: &mut Pages) -> Option<Vec<PageRows<Value>>> {
    let first = rx.recv().await?;
    let mut rows = first.rows.len();
    let mut batch = vec![first];
    while rows < SAVE_CHUNK {
        match rx.try_recv() {
            Ok(page) => {
                rows += page.rows.len();
                batch.push(page);
            }
            Err(_) => break,
        }
    }
    Some(batch)
}

/// Runs `store` over the batches of `pages` while they are fetched; the store's error comes
/// first (what it stored is kept), then the fetch's (pages fetched before it are stored).
async fn pipelined(
    pages: impl Stream<Item = Result<PageRows<Value>, halopsa::Error>>,
    store: impl AsyncFnOnce(Pages) -> Result<(), SyncError>,
) -> Result<(), SyncError> {
    let (tx, rx) = tokio::sync::mpsc::channel(AHEAD);
    let (fetched, stored) = futures::join!(fetch(pages, tx), store(rx));
    stored?;
    fetched?;
    Ok(())
}

/// One table's sync within a run.
pub(super) struct Job<'a> {
    pub client: &'a halopsa::Client,
    pub mirror: &'a Mirror,
    pub plan: &'a Plan,
    pub table: &'static Table,
    pub progress: &'a dyn Progress,
    pub line: &'a mut RunLine,
}

/// What a walk saw: the keys (`None` when it continued an earlier, killed walk, whose rows
/// are not known here) and the latest change-field value.
struct Seen {
    keys: Option<BTreeSet<Key>>,
    latest: Option<Timestamp>,
}

impl Job<'_> {
    pub(super) async fn run(&mut self) -> Result<(), SyncError> {
        if self.plan.full {
            self.mirror.clear(self.table).await?;
        }
        let cursor = self.mirror.cursor(self.table).await?;
        match signal(self.table) {
            Signal::ChangedSince(field) => match since(&cursor) {
                Some(since) => self.changes(field, since, cursor).await,
                None => self.first(Some(field), cursor).await,
            },
            Signal::TicketActions => self.actions(cursor).await,
            _ => self.first(None, cursor).await,
        }
    }

    fn options(&self) -> ListOptions {
        ListOptions {
            concurrency: self.plan.concurrency,
            ..ListOptions::default()
        }
    }

    /// Stores `rows` with `cursor`, counting them in the summary line.
    async fn save(&mut self, rows: Vec<Value>, cursor: &Cursor) -> Result<(), SyncError> {
        let n = rows.len() as u64;
        let saved = self.mirror.save(self.table, rows, cursor).await?;
        self.line.new += saved.new;
        self.line.changed += saved.changed;
        self.progress.advance(self.table.name, n, None);
        Ok(())
    }

    /// Removes `keys` with `cursor`, counting them.
    async fn remove(&mut self, keys: Vec<Key>, cursor: &Cursor) -> Result<(), SyncError> {
        self.line.deleted += self.mirror.remove(self.table, keys, cursor).await?;
        Ok(())
    }

    /// The whole list ordered by id, every page saved with a cursor holding the walk's
    /// position (`extra.walk`), so a killed sync continues where it stopped. Then, unless it
    /// continued an earlier walk, rows that vanished are removed; the cursor gets
    /// `changed_since` when the resource has a change `field`.
    async fn first(
        &mut self,
        field: Option<&'static str>,
        mut cursor: Cursor,
    ) -> Result<(), SyncError> {
        let started = walk_started(&cursor);
        let seen = self.resumable_walk(field, &mut cursor, started).await?;
        let now = now_text();
        if let Some(obj) = cursor.extra.as_object_mut() {
            obj.remove("walk");
        }
        if field.is_some() {
            cursor.changed_since = Some(text(next_since(None, seen.latest, started)));
        }
        cursor.last_full = Some(now.clone());
        let vanished = match &seen.keys {
            Some(keys) => {
                cursor.last_sweep = Some(now);
                self.vanished(keys).await?
            }
            None => Vec::new(),
        };
        self.remove(vanished, &cursor).await
    }

    async fn resumable_walk(
        &mut self,
        field: Option<&'static str>,
        cursor: &mut Cursor,
        started: Timestamp,
    ) -> Result<Seen, SyncError> {
        let res = self.table.resource;
        let resume = resume_point(cursor);
        let mut seen = Seen {
            keys: resume.is_none().then(BTreeSet::new),
            latest: cursor
                .extra
                .pointer("/walk/latest")
                .and_then(Value::as_str)
                .and_then(parse_instant),
        };
        let api = self.client.resource(res);
        let (pages, report) =
            api.list_pages::<Value>(order_by_id(res.path), self.options(), resume);
        let seen_now = &mut seen;
        pipelined(pages, async move |mut rx: Pages| {
            while let Some(batch) = next_batch(&mut rx).await {
                let mut rows = Vec::new();
                let mut total = None;
                for page in batch {
                    for row in &page.rows {
                        if let Some(keys) = seen_now.keys.as_mut()
                            && let Some(k) = self.table.key_of(row)
                        {
                            keys.insert(k);
                        }
                        if let Some(f) = field {
                            seen_now.latest = later(seen_now.latest, row.get(f).and_then(instant));
                        }
                    }
                    let walk = cursor
                        .extra
                        .pointer("/walk")
                        .cloned()
                        .unwrap_or_else(|| json!({}));
                    let rows_before = walk.get("rows").and_then(Value::as_u64).unwrap_or(0);
                    set_extra(
                        cursor,
                        "walk",
                        json!({
                            "next_page": page.page_no + 1,
                            "page_size": page.page_size,
                            "rows": rows_before + page.rows.len() as u64,
                            "record_count": page.record_count.or_else(|| walk.get("record_count").and_then(Value::as_u64)),
                            "started": text(started),
                            "latest": seen_now.latest.map(text),
                        }),
                    );
                    total = page.record_count.or(total);
                    rows.extend(page.rows);
                }
                let n = rows.len() as u64;
                let saved = self.mirror.save(self.table, rows, cursor).await?;
                self.line.new += saved.new;
                self.line.changed += saved.changed;
                self.progress.advance(self.table.name, n, total);
            }
            Ok(())
        })
        .await?;
        if let Some(gap) = report.notes().incomplete {
            tracing::warn!(
                "{}: the walk brought fewer rows than Halo counted ({gap:?}): rows moved during it; the next sync reads them",
                res.name
            );
        }
        Ok(seen)
    }

    /// Stored keys not in `seen`.
    async fn vanished(&self, seen: &BTreeSet<Key>) -> Result<Vec<Key>, SyncError> {
        let stored = self.mirror.keys(self.table).await?;
        Ok(stored.difference(seen).cloned().collect())
    }

    /// An incremental read: what changed since `since` less the lag, then (soft-deleting
    /// resources) what was deleted since, then a sweep when one is due.
    async fn changes(
        &mut self,
        field: &'static str,
        since: Timestamp,
        mut cursor: Cursor,
    ) -> Result<(), SyncError> {
        let res = self.table.resource;
        let started = Timestamp::now();
        let from = text(since - lag(self.plan));
        let mut query = order_by_id(res.path);
        query.push(("lastupdatefromdate".into(), from.clone()));
        let mut latest = None;
        let api = self.client.resource(res);
        let (pages, _) = api.list_pages::<Value>(query, self.options(), None);
        let (this, latest_now, unmoved) = (&mut *self, &mut latest, &cursor);
        pipelined(pages, async move |mut rx: Pages| {
            while let Some(batch) = next_batch(&mut rx).await {
                let rows: Vec<Value> = batch.into_iter().flat_map(|p| p.rows).collect();
                for row in &rows {
                    *latest_now = later(*latest_now, row.get(field).and_then(instant));
                }
                // The cursor stays where it was until every page is stored.
                this.save(rows, unmoved).await?;
            }
            Ok(())
        })
        .await?;
        let mut deleted = Vec::new();
        if res.soft_delete && takes(res.path, "deleted") {
            let mut query = order_by_id(res.path);
            query.push(("deleted".into(), "true".into()));
            query.push(("lastupdatefromdate".into(), from));
            let (pages, _) = api.list_pages::<Value>(query, self.options(), None);
            let mut pages = std::pin::pin!(pages);
            while let Some(page) = pages.next().await {
                for row in page?.rows {
                    latest = later(latest, row.get(field).and_then(instant));
                    if crate::is_soft_deleted(&row)
                        && let Some(k) = self.table.key_of(&row)
                    {
                        deleted.push(k);
                    }
                }
            }
        }
        cursor.changed_since = Some(text(next_since(Some(since), latest, started)));
        // A soft-deleted ticket's actions stay: Halo still lists them (the ticket can be
        // restored), so the mirror keeps them as the API shows them.
        self.remove(deleted, &cursor).await?;
        if self.sweep_due(&cursor) {
            self.sweep(cursor).await?;
        }
        Ok(())
    }

    fn sweep_due(&self, cursor: &Cursor) -> bool {
        match self.plan.sweep {
            Sweep::Now => true,
            Sweep::WhenOlder(age) => cursor
                .last_sweep
                .as_deref()
                .and_then(parse_instant)
                .is_none_or(|at| Timestamp::now().duration_since(at).unsigned_abs() > age),
        }
    }

    /// Finds rows deleted without trace: every id (one `idonly` request where the resource
    /// allows it, else a walk of the list, its rows stored too), stored rows missing from
    /// them removed.
    async fn sweep(&mut self, mut cursor: Cursor) -> Result<(), SyncError> {
        let res = self.table.resource;
        let mut keys = BTreeSet::new();
        if sweeps_by_idonly(self.table) {
            // Halo quirk: `idonly` is "not compatible with pagination" (spec), so it is asked
            // without paging and answers every id at once.
            let mut req = ApiRequest::get(res.path).query("idonly", "true");
            if takes(res.path, "includeinactive") {
                req = req.query("includeinactive", "true");
            }
            let resp = self.client.send(&req).await?;
            let page = halopsa::list::decode_list::<Value>(res, &resp.body).map_err(|detail| {
                halopsa::Error::Decode {
                    url: resp.url.clone(),
                    detail,
                }
            })?;
            keys.extend(page.items.iter().filter_map(|r| self.table.key_of(r)));
        } else {
            let api = self.client.resource(res);
            let (pages, _) = api.list_pages::<Value>(order_by_id(res.path), self.options(), None);
            let (this, keys_now, unmoved) = (&mut *self, &mut keys, &cursor);
            pipelined(pages, async move |mut rx: Pages| {
                while let Some(batch) = next_batch(&mut rx).await {
                    let rows: Vec<Value> = batch.into_iter().flat_map(|p| p.rows).collect();
                    keys_now.extend(rows.iter().filter_map(|r| this.table.key_of(r)));
                    this.save(rows, unmoved).await?;
                }
                Ok(())
            })
            .await?;
        }
        cursor.last_sweep = Some(now_text());
        let vanished = self.vanished(&keys).await?;
        self.remove(vanished, &cursor).await
    }

    /// Actions: those changed since the cursor, across tickets, in one request; the first
    /// sync (and a due sweep) reads every action and removes those that vanished.
    async fn actions(&mut self, mut cursor: Cursor) -> Result<(), SyncError> {
        let res = self.table.resource;
        let field = res.change_field;
        let started = Timestamp::now();
        let since = since(&cursor);
        let whole = since.is_none() || self.sweep_due(&cursor);
        let mut query = Vec::new();
        if let (Some(since), Some(field), false) = (since, field, whole) {
            query.push(("datesearch".to_string(), field.to_string()));
            query.push(("startdate".to_string(), text(since - lag(self.plan))));
        }
        let api = self.client.resource(res);
        query.extend(order_by_id(res.path));
        let (pages, _) = api.list_pages::<Value>(query, self.options(), None);
        let mut pages = std::pin::pin!(pages);
        let mut keys = BTreeSet::new();
        let mut latest = None;
        while let Some(page) = pages.next().await {
            let mut rows = page?.rows;
            while !rows.is_empty() {
                let rest = rows.split_off(rows.len().min(SAVE_CHUNK));
                for row in &rows {
                    keys.extend(self.table.key_of(row));
                    latest = later(latest, field.and_then(|f| row.get(f)).and_then(instant));
                }
                self.save(std::mem::replace(&mut rows, rest), &cursor)
                    .await?;
            }
        }
        cursor.changed_since = Some(text(next_since(since, latest, started)));
        let vanished = if whole {
            let now = now_text();
            cursor.last_full = Some(now.clone());
            cursor.last_sweep = Some(now);
            self.vanished(&keys).await?
        } else {
            Vec::new()
        };
        self.remove(vanished, &cursor).await
    }
}

/// The filters of every read: `order=id` when the list takes `order` (a stable order for a
/// walk that resumes by page), and `includeinactive=true` when it takes that (Halo quirk:
/// lists hide inactive rows unless asked, and a mirror holds them all).
fn order_by_id(path: &str) -> Vec<(String, String)> {
    let mut query = Vec::new();
    if takes(path, "order") {
        query.push(("order".into(), "id".into()));
    }
    if takes(path, "includeinactive") {
        query.push(("includeinactive".into(), "true".into()));
    }
    query
}

/// Where a killed walk stopped: one page back, since rows removed meanwhile shift later rows
/// onto earlier pages (the page read again is de-duplicated by key on save).
fn resume_point(cursor: &Cursor) -> Option<ResumePoint> {
    let walk = cursor.extra.get("walk")?;
    let next = u32::try_from(walk.get("next_page")?.as_u64()?).ok()?;
    let size = u32::try_from(walk.get("page_size")?.as_u64()?).ok()?.max(1);
    let rows = walk.get("rows").and_then(Value::as_u64).unwrap_or(0);
    let back = next.saturating_sub(1).max(1);
    Some(ResumePoint {
        next_page: back,
        page_size: size,
        rows: rows.min(u64::from(back - 1) * u64::from(size)),
        record_count: walk.get("record_count").and_then(Value::as_u64),
        keys: Vec::new(),
    })
}

/// When the current walk began (an earlier run's, for a walk continued).
fn walk_started(cursor: &Cursor) -> Timestamp {
    cursor
        .extra
        .pointer("/walk/started")
        .and_then(Value::as_str)
        .and_then(parse_instant)
        .unwrap_or_else(Timestamp::now)
}

fn set_extra(cursor: &mut Cursor, name: &str, value: Value) {
    if !cursor.extra.is_object() {
        cursor.extra = json!({});
    }
    if let Some(obj) = cursor.extra.as_object_mut() {
        obj.insert(name.to_string(), value);
    }
}

fn since(cursor: &Cursor) -> Option<Timestamp> {
    cursor.changed_since.as_deref().and_then(parse_instant)
}

fn lag(plan: &Plan) -> jiff::SignedDuration {
    jiff::SignedDuration::try_from(plan.lag).unwrap_or(jiff::SignedDuration::ZERO)
}

/// The next cursor: the latest change stored, but never past when this read began (a row
/// changed during the walk, on a page already read, is then read again next time), and never
/// behind the old one.
fn next_since(old: Option<Timestamp>, latest: Option<Timestamp>, started: Timestamp) -> Timestamp {
    let candidate = match latest {
        Some(l) => l.min(started),
        None => old.unwrap_or(started),
    };
    old.map_or(candidate, |o| o.max(candidate))
}

fn later(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn instant(value: &Value) -> Option<Timestamp> {
    parse_instant(value.as_str()?)
}

/// A Halo date-time (or a cursor's own text) as an instant; Halo's placeholder dates are none
/// (the one reading of Halo dates: `halopsa::models::HaloDate`).
fn parse_instant(text: &str) -> Option<Timestamp> {
    halopsa::models::HaloDate::new(text).timestamp()
}

/// An instant as Halo's filters take it: `yyyy-MM-ddTHH:mm:ssZ` (whole seconds, rounded
/// down so a `from` bound stays inclusive).
fn text(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn now_text() -> String {
    text(Timestamp::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        parse_instant(s).unwrap()
    }

    #[test]
    fn halo_dates_parse_leniently() {
        assert_eq!(text(at("2026-01-02T03:04:05Z")), "2026-01-02T03:04:05Z");
        assert_eq!(
            text(at("2026-01-02T03:04:05.1234567Z")),
            "2026-01-02T03:04:05Z"
        );
        assert_eq!(text(at("2026-01-02T03:04:05")), "2026-01-02T03:04:05Z");
        assert_eq!(parse_instant("1900-01-01T00:00:00"), None);
        assert_eq!(parse_instant("soon"), None);
    }

    #[test]
    fn the_cursor_never_passes_the_start_nor_goes_back() {
        let (old, start) = (at("2026-01-01T00:00:00Z"), at("2026-01-05T00:00:00Z"));
        let seen = at("2026-01-03T00:00:00Z");
        assert_eq!(next_since(Some(old), Some(seen), start), seen);
        // A server clock ahead of ours: the start bounds it.
        assert_eq!(
            next_since(Some(old), Some(at("2026-02-01T00:00:00Z")), start),
            start
        );
        // Nothing changed: it stays.
        assert_eq!(next_since(Some(old), None, start), old);
        // Only older rows re-read in the lag window: it does not move back.
        assert_eq!(
            next_since(Some(old), Some(at("2025-12-31T23:58:00Z")), start),
            old
        );
        // A first walk of rows without change values: from when it began.
        assert_eq!(next_since(None, None, start), start);
    }

    #[test]
    fn a_killed_walk_resumes_one_page_back() {
        let cursor = Cursor {
            extra: json!({"walk": {"next_page": 5, "page_size": 100, "rows": 400, "record_count": 1000}}),
            ..Cursor::default()
        };
        let r = resume_point(&cursor).unwrap();
        assert_eq!(
            (r.next_page, r.page_size, r.rows, r.record_count),
            (4, 100, 300, Some(1000))
        );
        let early = Cursor {
            extra: json!({"walk": {"next_page": 2, "page_size": 50, "rows": 50}}),
            ..Cursor::default()
        };
        let r = resume_point(&early).unwrap();
        assert_eq!((r.next_page, r.rows), (1, 0));
        assert!(resume_point(&Cursor::default()).is_none());
    }
}
