//! Paging, in one place: which page to ask for next, what a page means, and when to stop.
//! Pure logic, no I/O, so every edge case is unit-tested.
//!
//! Halo's rules (reference §5): send `pageinate=true` with a 1-based `page_no` and a
//! `page_size` of at most 100; trust the echoed `page_size` (`/Asset` serves 50 whatever is
//! asked), else the size of the first page; stop when `record_count` is reached, or on an empty
//! or short page; guard against endless loops; drop rows seen on an earlier page.

use crate::resource::{IdKind, Resource};
use serde_json::Value;
use std::collections::HashSet;

/// The largest page Halo serves.
pub const MAX_PAGE_SIZE: u32 = 100;

/// A row of a list: a decoded JSON value, or the server's bytes kept as they are
/// ([`crate::raw::RawRow`], for exports that write rows back out unchanged).
pub trait Row: Sized + Send + 'static {
    /// The key that tells rows apart, for a resource whose ids are of kind `id` (see
    /// [`crate::id`]); `None` for a row without a usable id.
    fn key(&self, id: IdKind) -> Option<String>;
}

/// One page as the server answered it.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<R = Value> {
    /// The rows.
    pub items: Vec<R>,
    /// `record_count`, when the list is wrapped.
    pub record_count: Option<u64>,
    /// The echoed `page_size`, when there is one.
    pub page_size: Option<u32>,
}

/// The query parameters the walk sets itself, refused as filters: a `page_no` given by hand
/// would fight the walk's own (and, sent twice, Halo picks one).
pub const PARAMS: &[&str] = &["pageinate", "page_no", "page_size"];

/// Whether `name` is one of [`PARAMS`] (Halo reads names case-insensitively).
pub fn is_paging_param(name: &str) -> bool {
    PARAMS.iter().any(|p| p.eq_ignore_ascii_case(name.trim()))
}

/// The most pages a walk asks for when the server gives no `record_count` to bound it.
pub const MAX_PAGES_WITHOUT_COUNT: u32 = 100_000;

/// Where a list walk stands.
#[derive(Debug, Clone)]
pub struct Pager {
    id_kind: IdKind,
    asked_size: u32,
    effective_size: Option<u32>,
    next_page: u32,
    limit: Option<u64>,
    yielded: u64,
    rows_seen: u64,
    first_total: Option<u64>,
    last_total: Option<u64>,
    /// Keys of rows yielded, hashed (8 bytes a row keeps a 200k-row walk small).
    seen: HashSet<u64>,
    duplicates: u64,
    unkeyed: u64,
    pages_fetched: u32,
    max_pages: u32,
    limit_reached: bool,
    done: bool,
}

/// What a walk noticed, for the caller to report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WalkNotes {
    /// Pages fetched.
    pub pages: u32,
    /// Rows dropped because an earlier page had them.
    pub duplicates: u64,
    /// Rows without a usable key (no id, a null or zero id), kept as they came: they cannot
    /// be told apart, so they are never merged.
    pub unkeyed: u64,
    /// `record_count` at the first page and at the last, when they differ.
    pub count_changed: Option<(u64, u64)>,
    /// Once the walk is over: the rows `record_count` promised and the rows it produced,
    /// when they differ by more than rows added or removed during the walk explain.
    pub incomplete: Option<(u64, u64)>,
    /// `record_count` as the last page gave it (how many rows match, whatever the limit).
    pub total: Option<u64>,
}

/// Why a walk cannot go on: the server's answers would make it endless or wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WalkError {
    /// A page held only rows already seen on earlier pages: the server ignores `page_no`.
    Repeated {
        /// The page.
        page: u32,
    },
    /// More pages than `record_count` and the page size allow (or, with no count, the cap).
    TooManyPages {
        /// The page.
        page: u32,
        /// The most pages allowed.
        allowed: u32,
    },
}

impl WalkError {
    /// The page that showed it.
    pub fn page(&self) -> u32 {
        match self {
            WalkError::Repeated { page } | WalkError::TooManyPages { page, .. } => *page,
        }
    }
}

impl std::fmt::Display for WalkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WalkError::Repeated { .. } => f.write_str(
                "the page held only rows of earlier pages, so the server is not paging (it ignores page_no); the walk would never end",
            ),
            WalkError::TooManyPages { allowed, .. } => write!(
                f,
                "more pages than the server's record_count and page size allow ({allowed}); the walk would never end"
            ),
        }
    }
}

impl std::error::Error for WalkError {}

impl<R> Default for Page<R> {
    fn default() -> Self {
        Page {
            items: Vec::new(),
            record_count: None,
            page_size: None,
        }
    }
}

impl Pager {
    /// A walk over `resource` with pages of `page_size` (clamped to 1..=100) and at most
    /// `limit` rows. With a limit below the page size, pages are only as large as the limit.
    pub fn new(resource: &Resource, page_size: u32, limit: Option<u64>) -> Pager {
        let mut asked = page_size.clamp(1, MAX_PAGE_SIZE);
        if let Some(l) = limit.filter(|l| *l > 0 && *l < u64::from(asked)) {
            asked = l as u32;
        }
        Pager {
            id_kind: resource.id,
            asked_size: asked,
            effective_size: resource.fixed_page_size,
            next_page: 1,
            limit,
            yielded: 0,
            rows_seen: 0,
            first_total: None,
            last_total: None,
            seen: HashSet::new(),
            duplicates: 0,
            unkeyed: 0,
            pages_fetched: 0,
            max_pages: MAX_PAGES_WITHOUT_COUNT,
            limit_reached: false,
            done: limit == Some(0),
        }
    }

    /// The most pages asked for when the server gives no `record_count` (default
    /// [`MAX_PAGES_WITHOUT_COUNT`]).
    pub fn with_max_pages(mut self, pages: u32) -> Pager {
        self.max_pages = pages.max(1);
        self
    }

    /// The next `(page_no, page_size)` to ask for, or `None` when the walk is over.
    pub fn next_request(&self) -> Option<(u32, u32)> {
        (!self.done).then_some((self.next_page, self.asked_size))
    }

    /// Takes a page: returns the rows to yield (duplicates dropped, cut at the limit) and
    /// decides whether another page is needed. A page that brings no row not seen before,
    /// or one past what the count allows, ends the walk with an error.
    pub fn accept<R: Row>(&mut self, page: Page<R>) -> Result<Vec<R>, WalkError> {
        let n = page.items.len() as u64;
        let page_no = self.next_page;
        self.next_page += 1;
        self.pages_fetched += 1;
        if self.first_total.is_none() {
            self.first_total = page.record_count;
        }
        if page_no == 1 {
            // Trust the echoed size; else, when the server holds more than one page, the size
            // of the first page is the real cap.
            self.effective_size = page
                .page_size
                .filter(|s| *s > 0)
                .or(self.effective_size)
                .or(match page.record_count {
                    Some(total) if total > n && n > 0 => Some(n as u32),
                    _ => None,
                });
        }
        if page.record_count.is_some() {
            self.last_total = page.record_count;
        }
        self.rows_seen += n;
        let size = u64::from(self.effective_size.unwrap_or(self.asked_size));
        // A loop guard: never more pages than the count allows (plus slack for rows inserted
        // during the walk), and never more than the cap when there is no count.
        let allowed = match self.first_total {
            Some(total) => {
                let pages = total.div_ceil(size.max(1));
                (pages + 20 + pages / 10).min(u64::from(u32::MAX)) as u32
            }
            None => self.max_pages,
        };
        if page_no > allowed {
            self.done = true;
            return Err(WalkError::TooManyPages {
                page: page_no,
                allowed,
            });
        }
        let mut out = Vec::with_capacity(page.items.len());
        let mut considered = 0u64;
        for item in page.items {
            if self.limit.is_some_and(|l| self.yielded >= l) {
                break;
            }
            considered += 1;
            match item.key(self.id_kind) {
                Some(k) if !self.seen.insert(hash(&k)) => {
                    self.duplicates += 1;
                    continue;
                }
                Some(_) => {}
                None => self.unkeyed += 1,
            }
            self.yielded += 1;
            out.push(item);
        }
        if considered > 0 && out.is_empty() {
            self.done = true;
            return Err(WalkError::Repeated { page: page_no });
        }
        let reached_total = page.record_count.is_some_and(|t| self.rows_seen >= t);
        self.limit_reached = self.limit.is_some_and(|l| self.yielded >= l);
        self.done = n == 0 || n < size || reached_total || self.limit_reached;
        Ok(out)
    }

    /// Whether the walk is over.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// A walk that continues an earlier one at `next_page`, with the effective page size it
    /// found, the `rows` it already yielded and their keys (see [`Row::key`]; rows without a
    /// key have none), and `record_count` as the earlier walk first saw it.
    pub fn resuming(
        resource: &Resource,
        page_size: u32,
        next_page: u32,
        rows: u64,
        record_count: Option<u64>,
        keys: impl IntoIterator<Item = String>,
    ) -> Pager {
        let mut pager = Pager::new(resource, page_size, None);
        pager.effective_size = Some(page_size.max(1));
        pager.next_page = next_page.max(1);
        for k in keys {
            pager.seen.insert(hash(&k));
        }
        pager.yielded = rows;
        pager.first_total = record_count;
        pager.rows_seen = u64::from(pager.next_page - 1) * u64::from(page_size.max(1));
        pager
    }

    /// The next page number to ask for.
    pub fn next_page(&self) -> u32 {
        self.next_page
    }

    /// Ends the walk (a list that is not paged came whole in one reply).
    pub fn finish(&mut self) {
        self.done = true;
    }

    /// The row limit of the walk.
    pub fn limit(&self) -> Option<u64> {
        self.limit
    }

    /// The page size in use: the echoed or observed one, else the one asked for.
    pub fn page_size(&self) -> u32 {
        self.effective_size.unwrap_or(self.asked_size)
    }

    /// `record_count` as of the first page.
    pub fn total(&self) -> Option<u64> {
        self.first_total
    }

    /// What the walk noticed.
    pub fn notes(&self) -> WalkNotes {
        WalkNotes {
            pages: self.pages_fetched,
            duplicates: self.duplicates,
            unkeyed: self.unkeyed,
            count_changed: match (self.first_total, self.last_total) {
                (Some(a), Some(b)) if a != b => Some((a, b)),
                _ => None,
            },
            incomplete: self.incomplete(),
            total: self.last_total,
        }
    }

    /// Once done: `(promised, produced)` when the rows produced differ from `record_count`
    /// (or the limit, if lower) by more than the change of the count during the walk and
    /// the duplicates (rows that moved) explain.
    fn incomplete(&self) -> Option<(u64, u64)> {
        if !self.done {
            return None;
        }
        let last = self.last_total?;
        let expected = match self.limit {
            Some(l) if self.limit_reached || l < last => l.min(last),
            _ => last,
        };
        let moved = self.first_total.unwrap_or(last).abs_diff(last) + self.duplicates;
        (self.yielded.abs_diff(expected) > moved).then_some((expected, self.yielded))
    }
}

fn hash(key: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::find;
    use serde_json::json;

    fn rows(ids: std::ops::RangeInclusive<i64>) -> Vec<Value> {
        ids.map(|i| json!({"id": i})).collect()
    }

    /// Serves `total` rows in pages of at most `cap`, echoing the size when `echo`.
    fn walk(
        res: &str,
        total: i64,
        cap: u32,
        echo: bool,
        asked: u32,
        limit: Option<u64>,
    ) -> (Vec<i64>, Pager, Vec<(u32, u32)>) {
        let mut pager = Pager::new(find(res).unwrap(), asked, limit);
        let mut out = Vec::new();
        let mut requests = Vec::new();
        while let Some((no, size)) = pager.next_request() {
            requests.push((no, size));
            let size = size.min(cap) as i64;
            let start = (i64::from(no) - 1) * size + 1;
            let end = (start + size - 1).min(total);
            let page = Page {
                items: if start > total {
                    vec![]
                } else {
                    rows(start..=end)
                },
                record_count: Some(total as u64),
                page_size: echo.then_some(size as u32),
            };
            out.extend(
                pager
                    .accept(page)
                    .unwrap()
                    .iter()
                    .map(|v| v["id"].as_i64().unwrap()),
            );
            assert!(requests.len() < 1000);
        }
        (out, pager, requests)
    }

    #[test]
    fn a_cap_smaller_than_asked_is_followed() {
        // Asked for 100, served 50 with no echo (HaloAPI #90 read 100 of 717).
        let (ids, _, requests) = walk("Tickets", 717, 50, false, 100, None);
        assert_eq!(ids, (1..=717).collect::<Vec<_>>());
        assert_eq!(requests.len(), 15);
    }

    #[test]
    fn asset_pages_are_fifty_and_echoed() {
        let (ids, pager, _) = walk("Asset", 120, 50, true, 100, None);
        assert_eq!(ids.len(), 120);
        assert_eq!(pager.page_size(), 50);
    }

    #[test]
    fn an_exact_multiple_stops_on_the_count_not_an_extra_page() {
        let (ids, pager, requests) = walk("Tickets", 200, 100, true, 100, None);
        assert_eq!(ids.len(), 200);
        assert_eq!(
            requests.len(),
            2,
            "record_count reached: no empty third page"
        );
        assert_eq!(pager.notes().pages, 2);
    }

    #[test]
    fn an_empty_result_is_one_request() {
        let (ids, _, requests) = walk("Tickets", 0, 100, true, 100, None);
        assert!(ids.is_empty());
        assert_eq!(requests, vec![(1, 100)]);
    }

    #[test]
    fn a_limit_fetches_no_more_than_needed() {
        let (ids, _, requests) = walk("Tickets", 500, 100, true, 100, Some(5));
        assert_eq!(ids, vec![1, 2, 3, 4, 5]);
        assert_eq!(requests, vec![(1, 5)]);
        let (ids, _, requests) = walk("Tickets", 500, 100, true, 100, Some(150));
        assert_eq!(ids.len(), 150);
        assert_eq!(requests.len(), 2);
    }

    #[test]
    fn duplicates_across_pages_are_dropped_and_counted() {
        let mut pager = Pager::new(find("Tickets").unwrap(), 3, None);
        let p = |ids: Vec<i64>| Page {
            items: ids.into_iter().map(|i| json!({"id": i})).collect(),
            record_count: Some(7),
            page_size: Some(3),
        };
        assert_eq!(pager.accept(p(vec![1, 2, 3])).unwrap().len(), 3);
        // A row inserted at the front shifted row 3 onto page 2.
        assert_eq!(pager.accept(p(vec![3, 4, 5])).unwrap().len(), 2);
        assert_eq!(pager.accept(p(vec![6])).unwrap().len(), 1);
        assert!(pager.is_done());
        assert_eq!(pager.notes().duplicates, 1);
    }

    #[test]
    fn a_changing_count_is_noted() {
        let mut pager = Pager::new(find("Tickets").unwrap(), 2, None);
        let page = |ids: Vec<i64>, total| Page {
            items: ids.into_iter().map(|i| json!({"id": i})).collect(),
            record_count: Some(total),
            page_size: Some(2),
        };
        pager.accept(page(vec![1, 2], 3)).unwrap();
        pager.accept(page(vec![3, 4], 4)).unwrap();
        pager.accept(page(vec![], 4)).unwrap();
        assert_eq!(pager.notes().count_changed, Some((3, 4)));
    }

    #[test]
    fn a_server_ignoring_page_no_ends_the_walk_with_an_error_at_once() {
        // With a count, and bare (no count): the second page repeats the first.
        for total in [Some(1000), None] {
            let mut pager = Pager::new(find("Tickets").unwrap(), 10, None);
            let page = || Page {
                items: rows(1..=10),
                record_count: total,
                page_size: None,
            };
            assert_eq!(pager.accept(page()).unwrap().len(), 10);
            assert_eq!(pager.accept(page()), Err(WalkError::Repeated { page: 2 }));
            assert!(pager.is_done());
        }
    }

    #[test]
    fn a_server_inventing_rows_forever_is_stopped_by_the_cap() {
        let mut pager = Pager::new(find("Agent").unwrap(), 10, None).with_max_pages(50);
        let mut next = 0;
        let outcome = loop {
            next += 10;
            let page = Page {
                items: rows(next - 9..=next),
                record_count: None,
                page_size: None,
            };
            if let Err(e) = pager.accept(page) {
                break e;
            }
            assert!(next < 10_000, "endless");
        };
        assert_eq!(
            outcome,
            WalkError::TooManyPages {
                page: 51,
                allowed: 50
            }
        );
    }

    #[test]
    fn rows_without_a_usable_key_are_kept_and_counted() {
        let mut pager = Pager::new(find("Tickets").unwrap(), 100, None);
        let page = Page {
            items: vec![
                json!({"id": null, "a": 1}),
                json!({"id": null, "a": 2}),
                json!({"a": 3}),
                json!({"id": 0}),
                json!({"id": [1]}),
                json!({"id": 7}),
                json!({"id": "7"}),
            ],
            record_count: Some(6),
            page_size: None,
        };
        assert_eq!(pager.accept(page).unwrap().len(), 6);
        let notes = pager.notes();
        assert_eq!((notes.unkeyed, notes.duplicates), (5, 1));
        assert_eq!(notes.incomplete, None);
    }

    #[test]
    fn rows_short_of_the_count_are_noted_unless_the_count_moved() {
        // record_count 10,000 and nothing on the pages; then only the first page filled.
        let mut pager = Pager::new(find("Tickets").unwrap(), 100, None);
        let empty = Page::<Value> {
            items: vec![],
            record_count: Some(10_000),
            page_size: Some(100),
        };
        assert!(pager.accept(empty.clone()).unwrap().is_empty());
        assert_eq!(pager.notes().incomplete, Some((10_000, 0)));
        let mut pager = Pager::new(find("Tickets").unwrap(), 100, None);
        let first = Page {
            items: rows(1..=100),
            record_count: Some(10_000),
            page_size: Some(100),
        };
        pager.accept(first).unwrap();
        assert_eq!(pager.notes().incomplete, None, "not over yet");
        pager.accept(empty).unwrap();
        assert_eq!(pager.notes().incomplete, Some((10_000, 100)));
        // Five rows added at the front during the walk: the count grew by five, five rows
        // came twice, and the last five were never reached.
        let mut pager = Pager::new(find("Tickets").unwrap(), 10, None);
        let page = |ids: std::ops::RangeInclusive<i64>, total| Page {
            items: rows(ids),
            record_count: Some(total),
            page_size: Some(10),
        };
        pager.accept(page(1..=10, 30)).unwrap();
        pager.accept(page(6..=15, 35)).unwrap();
        pager.accept(page(16..=25, 35)).unwrap();
        pager.accept(page(26..=30, 35)).unwrap();
        assert!(pager.is_done());
        let notes = pager.notes();
        assert_eq!(
            (notes.count_changed, notes.incomplete),
            (Some((30, 35)), None)
        );
        // A limit promises no more than itself.
        let mut pager = Pager::new(find("Tickets").unwrap(), 100, Some(500));
        pager.accept(page(1..=100, 10_000)).unwrap();
        let none = Page::<Value> {
            items: vec![],
            record_count: Some(10_000),
            page_size: Some(10),
        };
        pager.accept(none).unwrap();
        assert_eq!(pager.notes().incomplete, Some((500, 100)));
    }

    #[test]
    fn a_resumed_walk_continues_and_skips_rows_already_yielded() {
        let tickets = find("Tickets").unwrap();
        let mut pager = Pager::resuming(
            tickets,
            10,
            3,
            20,
            Some(35),
            (1..=20).map(|i| i.to_string()),
        );
        assert_eq!(pager.next_request(), Some((3, 10)));
        // Row 20 moved onto page 3 (a row before it was deleted): not yielded twice.
        let page = Page {
            items: rows(20..=29),
            record_count: Some(35),
            page_size: Some(10),
        };
        let out = pager.accept(page).unwrap();
        assert_eq!(out.first().unwrap()["id"], 21);
        assert_eq!(out.len(), 9);
        pager
            .accept(Page {
                items: rows(30..=35),
                record_count: Some(35),
                page_size: Some(10),
            })
            .unwrap();
        assert!(pager.is_done());
        assert_eq!(pager.notes().pages, 2);
        assert_eq!(pager.notes().incomplete, None, "35 rows in all");
    }

    #[test]
    fn actions_are_keyed_by_ticket_and_id() {
        let mut pager = Pager::new(find("Actions").unwrap(), 100, None);
        let page = Page {
            items: vec![
                json!({"ticket_id": 1, "id": 1}),
                json!({"ticket_id": 2, "id": 1}),
            ],
            record_count: Some(2),
            page_size: None,
        };
        assert_eq!(pager.accept(page).unwrap().len(), 2);
    }
}
