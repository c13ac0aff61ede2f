//! Bodies that are streamed rather than held in memory: a request body made anew for each
//! attempt, and a reply whose body is read as it comes. Both go through the client's one
//! request path ([`Client::send`](crate::Client::send) and
//! [`Client::send_streamed`](crate::Client::send_streamed)).
//!
//! A transfer of 100 MB can take longer than the client's timeout, which otherwise bounds a
//! whole request: a streamed one is bounded instead by how long nothing moves (no byte of
//! the request body taken, no head, no byte of the reply body) — the client's timeout again.

use crate::error::Error;
use bytes::Bytes;
use futures::{Stream, StreamExt};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The chunks of one attempt's request body; an error ends the request (it is not retried
/// unless the retry policy retries the request anyway).
pub type BodyChunks = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// Makes a request body: called once per attempt (a retry, a renewed token).
pub type BodyMaker = Arc<dyn Fn() -> BodyChunks + Send + Sync>;

/// A request body streamed with an exact `Content-Length`, rebuilt for every attempt.
#[derive(Clone)]
pub struct StreamedBody {
    length: u64,
    content_type: &'static str,
    make: BodyMaker,
}

impl StreamedBody {
    /// A body of exactly `length` bytes of `content_type`, each attempt's made by `make`.
    pub fn new(length: u64, content_type: &'static str, make: BodyMaker) -> StreamedBody {
        StreamedBody {
            length,
            content_type,
            make,
        }
    }

    /// Its length in bytes.
    pub fn length(&self) -> u64 {
        self.length
    }

    /// Its content type.
    pub fn content_type(&self) -> &'static str {
        self.content_type
    }

    /// A fresh body for one attempt, each chunk taken noted in `progress`.
    pub(crate) fn make(&self, progress: &Progress) -> reqwest::Body {
        let progress = progress.clone();
        reqwest::Body::wrap_stream((self.make)().inspect(move |_| progress.note()))
    }
}

impl std::fmt::Debug for StreamedBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamedBody")
            .field("length", &self.length)
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}

type ChunkStream = Pin<Box<dyn Stream<Item = Result<Bytes, Error>> + Send>>;

/// A successful reply whose body has not been read: take it chunk by chunk with
/// [`chunk`](Self::chunk), so that a large file never sits in memory.
pub struct StreamedResponse {
    /// HTTP status (2xx).
    pub status: u16,
    /// Reply headers.
    pub headers: HeaderMap,
    /// The URL requested.
    pub url: String,
    body: ChunkStream,
}

impl std::fmt::Debug for StreamedResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamedResponse")
            .field("status", &self.status)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl StreamedResponse {
    /// A reply read whole already (a success that was not streamed), as one chunk.
    pub(crate) fn whole(resp: crate::ApiResponse) -> StreamedResponse {
        let body = resp.body;
        StreamedResponse {
            status: resp.status,
            headers: resp.headers,
            url: resp.url,
            body: Box::pin(futures::stream::iter([Ok(body)])),
        }
    }

    /// The head of `resp`, its body read as it comes: a gap of `idle` with no byte is an
    /// error, as is a body that ends before its `Content-Length`.
    pub(crate) fn open(url: &url::Url, resp: reqwest::Response, idle: Duration) -> Self {
        let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
        let at = url.clone();
        let body = futures::stream::unfold(Some(resp), move |state| {
            let at = at.clone();
            async move {
                let mut resp = state?;
                match tokio::time::timeout(idle, resp.chunk()).await {
                    Ok(Ok(Some(chunk))) => Some((Ok(chunk), Some(resp))),
                    Ok(Ok(None)) => None,
                    Ok(Err(e)) => Some((Err(Error::transport(&at, e, true)), None)),
                    Err(_) => Some((Err(stalled(&at, idle)), None)),
                }
            }
        });
        StreamedResponse {
            status,
            headers,
            url: url.to_string(),
            body: Box::pin(body),
        }
    }

    /// The next part of the body; `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        self.body.next().await.transpose()
    }

    /// `Content-Length`, when the server gave one.
    pub fn content_length(&self) -> Option<u64> {
        header(&self.headers, CONTENT_LENGTH.as_str()).and_then(|v| v.trim().parse().ok())
    }

    /// `Content-Type`, when the server gave one.
    pub fn content_type(&self) -> Option<&str> {
        header(&self.headers, CONTENT_TYPE.as_str())
    }
}

/// A header's value as text, if it is text.
pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The error of a transfer in which nothing moved for `idle`.
pub(crate) fn stalled(url: &url::Url, idle: Duration) -> Error {
    Error::Stalled {
        url: url.to_string(),
        idle,
    }
}

/// When a request body last moved, shared by the body (which notes it) and the wait for the
/// head (which reads it).
#[derive(Clone)]
pub(crate) struct Progress {
    start: Instant,
    /// Milliseconds from `start` to the last chunk taken.
    last: Arc<AtomicU64>,
}

impl Progress {
    pub(crate) fn new() -> Progress {
        Progress {
            start: Instant::now(),
            last: Arc::new(AtomicU64::new(0)),
        }
    }

    fn note(&self) {
        let now = self.start.elapsed().as_millis() as u64;
        self.last.fetch_max(now, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.start + Duration::from_millis(self.last.load(Ordering::Relaxed))
    }

    /// Awaits `reply`, failing with `stalled` once neither it came nor the body moved for
    /// `idle`.
    pub(crate) async fn within<T>(
        &self,
        idle: Duration,
        reply: impl Future<Output = T>,
        stalled: impl FnOnce() -> T,
    ) -> T {
        tokio::pin!(reply);
        loop {
            let deadline = self.last() + idle;
            if deadline <= Instant::now() {
                return stalled();
            }
            tokio::select! {
                done = &mut reply => return done,
                _ = tokio::time::sleep_until(deadline.into()) => {}
            }
        }
    }
}
