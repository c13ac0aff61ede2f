//! One generic layer serving every row of the resource table: list (as pages and as a
//! stream), get, count, create, update and delete.

use crate::client::ApiResponse;
use crate::client::{ApiRequest, Client};
use crate::error::{Error, Operation};
use crate::id::id_text;
use crate::list::{ListRow, decode_list, decode_one};
use crate::paging::{MAX_PAGE_SIZE, Page, Pager, WalkNotes, is_paging_param};
use crate::resource::{IdKind, Ops, Resource};
use futures::{Stream, StreamExt};
use reqwest::Method;
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// Options of a list walk.
#[derive(Debug, Clone, Copy)]
pub struct ListOptions {
    /// Rows asked per page (at most 100).
    pub page_size: u32,
    /// Stop after this many rows.
    pub limit: Option<u64>,
    /// Pages fetched at once once the first page has told how many there are (1: one by one).
    pub concurrency: usize,
    /// The most pages asked for when the server gives no `record_count` (default
    /// [`MAX_PAGES_WITHOUT_COUNT`](crate::paging::MAX_PAGES_WITHOUT_COUNT)).
    pub max_pages: u32,
}

impl Default for ListOptions {
    fn default() -> Self {
        ListOptions {
            page_size: MAX_PAGE_SIZE,
            limit: None,
            concurrency: 4,
            max_pages: crate::paging::MAX_PAGES_WITHOUT_COUNT,
        }
    }
}

fn decode_error(resp: &ApiResponse, detail: String) -> Error {
    Error::Decode {
        url: resp.url.clone(),
        detail: crate::redact::scrub(&detail).into_owned(),
    }
}

type PageStream<R> = std::pin::Pin<Box<dyn Stream<Item = Result<Page<R>, Error>> + Send>>;

/// The state of a list walk between pages.
struct Walk<R> {
    this: ResourceClient,
    query: Vec<(String, String)>,
    pager: Pager,
    notes: Arc<Mutex<WalkNotes>>,
    concurrency: usize,
    /// Pages after the first, in flight in order, once the first told how many there are.
    planned: Option<PageStream<R>>,
    planned_once: bool,
}

impl<R: ListRow> Walk<R> {
    /// The next page: from the planned (concurrent) pages while they last, then one by one.
    async fn next_page(&mut self) -> Option<Result<Page<R>, Error>> {
        if let Some(planned) = self.planned.as_mut() {
            match planned.next().await {
                Some(page) => return Some(page),
                None => self.planned = None,
            }
        }
        let (page_no, size) = self.pager.next_request()?;
        let page = self.this.fetch_page::<R>(&self.query, page_no, size).await;
        if !self.planned_once {
            self.planned_once = true;
            self.plan(page_no, &page);
        }
        Some(page)
    }

    /// After the first page fetched: fetch the rest `concurrency` at a time (bounded,
    /// streamed in order).
    fn plan(&mut self, first_no: u32, first: &Result<Page<R>, Error>) {
        let Ok(first) = first else { return };
        let Some(total) = first.record_count else {
            return;
        };
        if self.concurrency < 2 || !self.this.resource.paged || first.items.is_empty() {
            return;
        }
        // Page 1 tells the effective size; a resumed walk already knows it.
        let size = if first_no == 1 {
            first
                .page_size
                .filter(|s| *s > 0)
                .unwrap_or(first.items.len() as u32)
        } else {
            self.pager.page_size()
        };
        let wanted = self.pager_limit().map_or(total, |l| l.min(total));
        let last = wanted.div_ceil(u64::from(size.max(1))).max(1) as u32;
        if last <= first_no {
            return;
        }
        let asked = self
            .pager
            .next_request()
            .map(|(_, s)| s)
            .unwrap_or(MAX_PAGE_SIZE);
        let (this, query) = (self.this.clone(), self.query.clone());
        let pages = futures::stream::iter(first_no + 1..=last)
            .map(move |no| {
                let (this, query) = (this.clone(), query.clone());
                async move { this.fetch_page::<R>(&query, no, asked).await }
            })
            .buffered(self.concurrency);
        self.planned = Some(Box::pin(pages));
    }

    fn pager_limit(&self) -> Option<u64> {
        self.pager.limit()
    }
}

/// Where an interrupted walk stands, to continue it.
#[derive(Debug, Clone, Default)]
pub struct ResumePoint {
    /// The first page not yet done.
    pub next_page: u32,
    /// The effective page size of the earlier walk.
    pub page_size: u32,
    /// The rows already yielded.
    pub rows: u64,
    /// `record_count` as the earlier walk first saw it.
    pub record_count: Option<u64>,
    /// The key ([`crate::paging::Row::key`]) of every row already yielded that has one.
    pub keys: Vec<String>,
}

/// The rows one page added to a walk.
#[derive(Debug, Clone)]
pub struct PageRows<R = Value> {
    /// The page number.
    pub page_no: u32,
    /// Its rows, duplicates dropped.
    pub rows: Vec<R>,
    /// `record_count` as this page gave it.
    pub record_count: Option<u64>,
    /// The effective page size of the walk.
    pub page_size: u32,
}

/// A resource bound to a client. Get one with [`Client::resource`].
#[derive(Clone)]
pub struct ResourceClient {
    client: Client,
    resource: &'static Resource,
}

impl Client {
    /// The generic operations on `resource`.
    pub fn resource(&self, resource: &'static Resource) -> ResourceClient {
        ResourceClient {
            client: self.clone(),
            resource,
        }
    }
}

/// Notes of a finished walk, readable while the stream runs and after.
#[derive(Debug, Clone, Default)]
pub struct WalkReport(Arc<Mutex<WalkNotes>>);

impl WalkReport {
    /// What the walk noticed so far.
    pub fn notes(&self) -> WalkNotes {
        self.0.lock().map(|n| n.clone()).unwrap_or_default()
    }
}

impl ResourceClient {
    /// The client it sends with.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// The resource.
    pub fn resource(&self) -> &'static Resource {
        self.resource
    }

    fn refuse(&self, operation: Operation) -> Error {
        Error::Unsupported {
            resource: self.resource.name,
            path: self.resource.path,
            operation,
        }
    }

    fn decode_err(&self, url: &str, detail: String) -> Error {
        Error::Decode {
            url: url.to_string(),
            detail,
        }
    }

    /// The request for one page (`pageinate=true`, 1-based `page_no`, `page_size`).
    pub fn page_request(
        &self,
        query: &[(String, String)],
        page_no: u32,
        page_size: u32,
    ) -> ApiRequest {
        let mut req = ApiRequest::get(self.resource.path);
        req.query = query.to_vec();
        if self.resource.paged {
            req = req
                .query("pageinate", "true")
                .query("page_no", page_no.to_string())
                .query("page_size", page_size.to_string());
        }
        req
    }

    /// One page of the list. For a resource without paging this is the whole list.
    pub async fn list_page(
        &self,
        query: &[(String, String)],
        page_no: u32,
        page_size: u32,
    ) -> Result<Page, Error> {
        self.fetch_page(query, page_no, page_size).await
    }

    /// One page, its rows decoded as `R`.
    async fn fetch_page<R: ListRow>(
        &self,
        query: &[(String, String)],
        page_no: u32,
        page_size: u32,
    ) -> Result<Page<R>, Error> {
        if !self.resource.ops.contains(Ops::LIST) {
            return Err(self.refuse(Operation::List));
        }
        if let Some((k, _)) = query.iter().find(|(k, _)| is_paging_param(k)) {
            return Err(Error::InvalidInput(format!(
                "'{k}' is a paging parameter, set by the walk itself: it is not a filter"
            )));
        }
        let resp = self
            .client
            .send(&self.page_request(query, page_no, page_size.clamp(1, MAX_PAGE_SIZE)))
            .await?;
        decode_list(self.resource, &resp.body).map_err(|d| decode_error(&resp, d))
    }

    /// Every row matching `query`, page by page, in order, duplicates dropped. After the
    /// first page gives `record_count`, the other pages are fetched `concurrency` at a time
    /// and still yielded in order. The [`WalkReport`] tells pages fetched, duplicates and
    /// whether `record_count` moved.
    pub fn list(
        &self,
        query: Vec<(String, String)>,
        options: ListOptions,
    ) -> (
        impl Stream<Item = Result<Value, Error>> + Send + use<>,
        WalkReport,
    ) {
        let (pages, report) = self.list_pages::<Value>(query, options, None);
        let rows = pages
            .map(|page| match page {
                Ok(p) => futures::stream::iter(p.rows.into_iter().map(Ok).collect::<Vec<_>>()),
                Err(e) => futures::stream::iter(vec![Err(e)]),
            })
            .flatten();
        (rows, report)
    }

    /// The walk of [`list`](Self::list), a page at a time (so a caller can checkpoint), from
    /// the start or from `resume`, rows decoded as `R` (`Value`, or [`RawRow`] to keep the
    /// server's bytes).
    ///
    /// The walk always ends: a page that brings no new row, or more pages than
    /// `record_count` allows (with no count, [`ListOptions::max_pages`]), is
    /// [`Error::Paging`]. Paging parameters in `query` are refused (the walk sets them). When
    /// the rows produced fall short of `record_count`, [`WalkNotes::incomplete`] says so.
    pub fn list_pages<R: ListRow>(
        &self,
        query: Vec<(String, String)>,
        options: ListOptions,
        resume: Option<ResumePoint>,
    ) -> (
        impl Stream<Item = Result<PageRows<R>, Error>> + Send + use<R>,
        WalkReport,
    ) {
        let report = WalkReport::default();
        let pager = match resume {
            Some(r) => Pager::resuming(
                self.resource,
                r.page_size,
                r.next_page,
                r.rows,
                r.record_count,
                r.keys,
            ),
            None => Pager::new(self.resource, options.page_size, options.limit),
        }
        .with_max_pages(options.max_pages);
        let walk = Walk::<R> {
            this: self.clone(),
            query,
            pager,
            notes: report.0.clone(),
            concurrency: options.concurrency.max(1),
            planned: None,
            planned_once: false,
        };
        let stream = futures::stream::try_unfold(walk, |mut walk| async move {
            if walk.pager.is_done() {
                return Ok(None);
            }
            let Some(page) = walk.next_page().await else {
                return Ok(None);
            };
            let page = page?;
            let page_no = walk.pager.next_page();
            let record_count = page.record_count;
            let rows = walk.pager.accept(page).map_err(|e| Error::Paging {
                path: format!("/api/{}", walk.this.resource.path),
                page: e.page(),
                reason: e.to_string(),
            })?;
            if !walk.this.resource.paged {
                // One request returns the whole list: nothing more to ask.
                walk.pager.finish();
            }
            if walk.pager.is_done() {
                // Pages still in flight are not needed.
                walk.planned = None;
            }
            let notes = walk.pager.notes();
            if walk.pager.is_done()
                && let Some((from, to)) = notes.count_changed
            {
                tracing::warn!(
                    "record_count of {} changed from {from} to {to} during the walk: rows were added or removed meanwhile",
                    walk.this.resource.path
                );
            }
            if let Ok(mut n) = walk.notes.lock() {
                *n = notes;
            }
            let page_size = walk.pager.page_size();
            Ok(Some((
                PageRows {
                    page_no,
                    rows,
                    record_count,
                    page_size,
                },
                walk,
            )))
        });
        (stream, report)
    }

    /// Rows matching `query`: `record_count` of a one-row page, or the length of an
    /// unpaged list.
    pub async fn count(&self, query: &[(String, String)]) -> Result<u64, Error> {
        let page = self.list_page(query, 1, 1).await?;
        Ok(match (self.resource.paged, page.record_count) {
            (true, Some(n)) => n,
            _ => page.items.len() as u64,
        })
    }

    /// The request for one object (`ticket_id` is needed for actions; a file's metadata, not
    /// its bytes, for attachments).
    pub fn get_request(&self, id: &str, query: &[(String, String)]) -> Result<ApiRequest, Error> {
        if !self.resource.ops.contains(Ops::GET) {
            return Err(self.refuse(Operation::Get));
        }
        let mut req = match self.resource.id {
            IdKind::None => ApiRequest::get(self.resource.path),
            _ => ApiRequest::get(format!("{}/{}", self.resource.path, encode(id))),
        };
        req.query = query.to_vec();
        if self.resource.id == IdKind::PerTicket && !query.iter().any(|(k, _)| k == "ticket_id") {
            return Err(Error::InvalidInput(
                "action ids are numbered within their ticket: give ticket_id too".into(),
            ));
        }
        // A GET by id of a file resource answers the file's bytes; `get` is of the object,
        // so it asks for the metadata (the bytes: `Attachments::download`).
        if self.resource.file_download && !query.iter().any(|(k, _)| k == "includedetails") {
            req = req.query("includedetails", "true");
        }
        Ok(req)
    }

    /// One object by id.
    pub async fn get(&self, id: &str, query: &[(String, String)]) -> Result<Value, Error> {
        let resp = self.client.send(&self.get_request(id, query)?).await?;
        decode_one(resp.json()?).map_err(|d| self.decode_err(&resp.url, d))
    }

    /// The request that creates `objects` (Halo's POST takes an array; no id means create).
    pub fn create_request(&self, objects: Vec<Value>) -> Result<ApiRequest, Error> {
        if !self.resource.ops.contains(Ops::CREATE) {
            return Err(self.refuse(Operation::Create));
        }
        for (i, o) in objects.iter().enumerate() {
            if !o.is_object() {
                return Err(Error::InvalidInput(format!(
                    "element {i} is not a JSON object"
                )));
            }
            if o.get("id").is_some_and(|id| !crate::id::is_unset(id)) {
                return Err(Error::InvalidInput(format!(
                    "element {i} has an id: Halo would update that object, not create one (use update)"
                )));
            }
        }
        Ok(ApiRequest::new(Method::POST, self.resource.path).json(Value::Array(objects)))
    }

    /// The request that updates `objects`; each must carry its id (a missing id would create).
    pub fn update_request(&self, objects: Vec<Value>) -> Result<ApiRequest, Error> {
        if !self.resource.ops.contains(Ops::UPDATE) {
            return Err(self.refuse(Operation::Update));
        }
        for (i, o) in objects.iter().enumerate() {
            if o.get("id").is_none_or(crate::id::is_unset) {
                return Err(Error::InvalidInput(format!(
                    "element {i} has no id: an update without one would create a duplicate"
                )));
            }
        }
        Ok(ApiRequest::new(Method::POST, self.resource.path)
            .json(Value::Array(objects))
            .idempotent())
    }

    /// Creates objects; returns what Halo saved (one object per element).
    pub async fn create(&self, objects: Vec<Value>) -> Result<Vec<Value>, Error> {
        let req = self.create_request(objects)?;
        self.post(&req).await
    }

    /// Updates objects. With `check`, each id is first read back (one GET each) so an id that
    /// does not exist is refused before anything is sent.
    pub async fn update(&self, objects: Vec<Value>, check: bool) -> Result<Vec<Value>, Error> {
        let req = self.update_request(objects)?;
        if check && let Some(Value::Array(objects)) = &req.body {
            for o in objects {
                let id = o.get("id").map(id_text).unwrap_or_default();
                let query: Vec<(String, String)> = o
                    .get("ticket_id")
                    .filter(|_| self.resource.id == IdKind::PerTicket)
                    .map(|t| vec![("ticket_id".to_string(), id_text(t))])
                    .unwrap_or_default();
                self.get(&id, &query).await?;
            }
        }
        self.post(&req).await
    }

    async fn post(&self, req: &ApiRequest) -> Result<Vec<Value>, Error> {
        let resp = self.client.send(req).await?;
        // One element in gives one object out; several give an array (accept either).
        Ok(match resp.json::<Value>()? {
            Value::Array(items) => items,
            other => vec![other],
        })
    }

    /// The request that deletes one object (`reason` for tickets, `ticket_id` for actions go
    /// in `query`).
    pub fn delete_request(
        &self,
        id: &str,
        query: &[(String, String)],
    ) -> Result<ApiRequest, Error> {
        if !self.resource.ops.contains(Ops::DELETE) {
            return Err(self.refuse(Operation::Delete));
        }
        if self.resource.id == IdKind::PerTicket && !query.iter().any(|(k, _)| k == "ticket_id") {
            return Err(Error::InvalidInput(
                "deleting an action needs its ticket_id (action ids are per ticket)".into(),
            ));
        }
        let mut req = ApiRequest::new(
            Method::DELETE,
            format!("{}/{}", self.resource.path, encode(id)),
        );
        req.query = query.to_vec();
        Ok(req)
    }

    /// Deletes one object; returns Halo's answer (which carries the id).
    pub async fn delete(&self, id: &str, query: &[(String, String)]) -> Result<Value, Error> {
        let resp = self.client.send(&self.delete_request(id, query)?).await?;
        resp.json()
    }
}

/// An id as one path segment.
fn encode(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.trim().as_bytes()).collect()
}
