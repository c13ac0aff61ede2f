//! Reading a reply: the body within its size limits (gzip decoded here, so that both the
//! compressed and the decompressed size are bounded), and redirects followed only within the
//! origin of the request.

use crate::client::ApiResponse;
use crate::error::Error;
use bytes::{Bytes, BytesMut};
use reqwest::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use reqwest::{Method, StatusCode};
use std::io::Write;
use url::Url;

/// The default limit of a reply body, compressed and decompressed alike. The largest real
/// page (100 tickets with every detail) is a few MB.
pub const DEFAULT_MAX_RESPONSE: u64 = 64 << 20;

/// Redirects followed for one request before it is refused as a loop.
const MAX_REDIRECTS: usize = 10;

/// A request that got no usable reply, whether it may have reached the server, and whether
/// sending it again could help.
pub(crate) struct Failed {
    pub(crate) error: Error,
    pub(crate) sent: bool,
    pub(crate) retryable: bool,
}

impl Failed {
    pub(crate) fn before(error: Error) -> Failed {
        Failed {
            error,
            sent: false,
            retryable: true,
        }
    }

    /// A failure that sending again cannot mend (a refused redirect, a reply too large).
    pub(crate) fn fatal(error: Error) -> Failed {
        Failed {
            error,
            sent: true,
            retryable: false,
        }
    }

    /// Connect, DNS and TLS failures happen before anything is written; anything else may
    /// have reached the server.
    pub(crate) fn transport(url: &Url, e: reqwest::Error) -> Failed {
        let sent = !e.is_connect();
        Failed {
            error: Error::transport(url, e, sent),
            sent,
            retryable: true,
        }
    }
}

/// A reply read whole within `limit` bytes (compressed and decompressed), or why there was
/// none (and whether the request may have been sent).
pub(crate) async fn reply(
    url: &Url,
    resp: Result<reqwest::Response, reqwest::Error>,
    limit: u64,
) -> Result<ApiResponse, Failed> {
    let mut resp = resp.map_err(|e| Failed::transport(url, e))?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let too_large = |inflated| {
        Failed::fatal(Error::TooLarge {
            url: url.to_string(),
            limit,
            inflated,
        })
    };
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(false));
    }
    let mut body = match headers
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("" | "identity") => Body::Plain(Vec::new(), 0),
        Some("gzip" | "x-gzip") => Body::Gzip(
            Box::new(flate2::write::MultiGzDecoder::new(Capped {
                out: Vec::new(),
                limit,
                over: false,
            })),
            0,
        ),
        Some(other) => {
            return Err(Failed::fatal(Error::Decode {
                url: url.to_string(),
                detail: format!("the reply is encoded as '{other}', which was not asked for"),
            }));
        }
    };
    // A body cut short: the request reached the server.
    while let Some(chunk) = resp.chunk().await.map_err(|e| Failed {
        error: Error::transport(url, e, true),
        sent: true,
        retryable: true,
    })? {
        match body.push(chunk, limit) {
            Ok(()) => {}
            Err(Pushed::Over { inflated }) => return Err(too_large(inflated)),
            Err(Pushed::Damaged(why)) => return Err(damaged(url, &why)),
        }
    }
    let body = match body.finish() {
        Ok(body) => body,
        Err(Pushed::Over { inflated }) => return Err(too_large(inflated)),
        Err(Pushed::Damaged(why)) => return Err(damaged(url, &why)),
    };
    Ok(ApiResponse {
        status,
        headers,
        body,
        url: url.to_string(),
    })
}

fn damaged(url: &Url, why: &str) -> Failed {
    Failed::fatal(Error::Decode {
        url: url.to_string(),
        detail: format!("the gzip-encoded reply is damaged ({why})"),
    })
}

/// A body being read.
enum Body {
    /// The chunks as they came (a body in one chunk is kept without a copy) and their size.
    Plain(Vec<Bytes>, u64),
    /// The decoder and the compressed bytes it was given.
    Gzip(Box<flate2::write::MultiGzDecoder<Capped>>, u64),
}

/// Why a chunk could not be taken.
enum Pushed {
    /// Over the limit: as sent, or (`inflated`) once decompressed.
    Over {
        inflated: bool,
    },
    Damaged(String),
}

impl Body {
    fn push(&mut self, chunk: Bytes, limit: u64) -> Result<(), Pushed> {
        match self {
            Body::Plain(chunks, size) => {
                *size += chunk.len() as u64;
                if *size > limit {
                    return Err(Pushed::Over { inflated: false });
                }
                chunks.push(chunk);
                Ok(())
            }
            Body::Gzip(decoder, compressed) => {
                *compressed += chunk.len() as u64;
                if *compressed > limit {
                    return Err(Pushed::Over { inflated: false });
                }
                decoder
                    .write_all(&chunk)
                    .map_err(|e| gzip_error(decoder.get_ref(), e))
            }
        }
    }

    fn finish(self) -> Result<Bytes, Pushed> {
        match self {
            Body::Plain(mut chunks, size) => Ok(match chunks.len() {
                0 => Bytes::new(),
                1 => chunks.remove(0),
                _ => {
                    let mut whole = BytesMut::with_capacity(size as usize);
                    for c in &chunks {
                        whole.extend_from_slice(c);
                    }
                    whole.freeze()
                }
            }),
            Body::Gzip(mut decoder, _) => {
                decoder
                    .try_finish()
                    .map_err(|e| gzip_error(decoder.get_ref(), e))?;
                let capped = decoder
                    .finish()
                    .map_err(|e| Pushed::Damaged(e.to_string()))?;
                Ok(Bytes::from(capped.out))
            }
        }
    }
}

fn gzip_error(capped: &Capped, e: std::io::Error) -> Pushed {
    if capped.over {
        Pushed::Over { inflated: true }
    } else {
        Pushed::Damaged(e.to_string())
    }
}

/// The decompressed bytes, refused past `limit`.
struct Capped {
    out: Vec<u8>,
    limit: u64,
    over: bool,
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if (self.out.len() + buf.len()) as u64 > self.limit {
            self.over = true;
            return Err(std::io::Error::other("over the limit"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A reply as the retry loop and the 401 rule look at it: its status and headers.
pub(crate) trait Reply {
    fn status(&self) -> u16;
    fn headers(&self) -> &reqwest::header::HeaderMap;
}

impl Reply for ApiResponse {
    fn status(&self) -> u16 {
        self.status
    }

    fn headers(&self) -> &reqwest::header::HeaderMap {
        &self.headers
    }
}

/// A reply to a request whose success is streamed: a success with its body unread, or any
/// other reply read whole (an error's text, a redirect).
pub(crate) enum Answer {
    Whole(ApiResponse),
    Open(Url, reqwest::Response),
}

impl Reply for Answer {
    fn status(&self) -> u16 {
        match self {
            Answer::Whole(r) => r.status,
            Answer::Open(_, r) => r.status().as_u16(),
        }
    }

    fn headers(&self) -> &reqwest::header::HeaderMap {
        match self {
            Answer::Whole(r) => &r.headers,
            Answer::Open(_, r) => r.headers(),
        }
    }
}

/// Sends `request` and reads the reply, following redirects only to the origin of the
/// request (so no header, token or profile header ever reaches another host); a redirect
/// elsewhere, or a loop, is an error that names the target and is not retried.
///
/// Quirk (our rule, not Halo's): the HTTP client follows no redirect by itself
/// (`redirect::Policy::none()`), so that this is the one place that decides.
pub(crate) async fn send_within_origin(
    http: &reqwest::Client,
    request: reqwest::Request,
    limit: u64,
) -> Result<ApiResponse, Failed> {
    match follow(http, request, limit, false).await? {
        Answer::Whole(resp) => Ok(resp),
        Answer::Open(url, resp) => reply(&url, Ok(resp), limit).await,
    }
}

/// [`send_within_origin`], a success left unread when `open` (its body streamed by the
/// caller). A request with a streamed body cannot be sent again, so its redirect is answered
/// as it came (an error to the caller).
pub(crate) async fn follow(
    http: &reqwest::Client,
    mut request: reqwest::Request,
    limit: u64,
    open: bool,
) -> Result<Answer, Failed> {
    let origin = request.url().origin();
    for _ in 0..=MAX_REDIRECTS {
        let url = request.url().clone();
        let again = request.try_clone();
        let sent = http
            .execute(request)
            .await
            .map_err(|e| Failed::transport(&url, e))?;
        if open && sent.status().is_success() {
            return Ok(Answer::Open(url, sent));
        }
        let resp = reply(&url, Ok(sent), limit).await?;
        let Some(to) = redirect_target(&url, &resp) else {
            return Ok(Answer::Whole(resp));
        };
        if to.origin() != origin {
            return Err(Failed::fatal(Error::Redirect {
                url: url.to_string(),
                to: to.to_string(),
                reason: "another origin: redirects are followed only within the instance, so no header or token leaves it (if that is the right address, use it as the instance URL)",
            }));
        }
        let Some(mut next) = again else {
            return Ok(Answer::Whole(resp));
        };
        tracing::debug!(target: "halopsa::http", "{} redirect to {to}", resp.status);
        *next.url_mut() = to;
        // 303, and 301/302 after a POST, are fetched with GET (as browsers and RFC 9110 do).
        let see_other = resp.status == StatusCode::SEE_OTHER.as_u16()
            || (matches!(resp.status, 301 | 302) && next.method() == Method::POST);
        if see_other && next.method() != Method::HEAD {
            *next.method_mut() = Method::GET;
            *next.body_mut() = None;
            next.headers_mut().remove(CONTENT_TYPE);
            next.headers_mut().remove(CONTENT_LENGTH);
        }
        request = next;
    }
    Err(Failed::fatal(Error::Redirect {
        url: request.url().to_string(),
        to: request.url().to_string(),
        reason: "too many redirects (a loop)",
    }))
}

/// Where a redirect reply points, resolved against the request's URL.
pub(crate) fn redirect_target(url: &Url, resp: &ApiResponse) -> Option<Url> {
    if !matches!(resp.status, 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = resp.headers.get(LOCATION)?.to_str().ok()?;
    url.join(location.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    fn read(body: &mut Body, chunks: &[&[u8]], limit: u64) -> Result<Bytes, Pushed> {
        for c in chunks {
            body.push(Bytes::copy_from_slice(c), limit)?;
        }
        std::mem::replace(body, Body::Plain(Vec::new(), 0)).finish()
    }

    fn gz(limit: u64) -> Body {
        Body::Gzip(
            Box::new(flate2::write::MultiGzDecoder::new(Capped {
                out: Vec::new(),
                limit,
                over: false,
            })),
            0,
        )
    }

    #[test]
    fn bodies_within_the_limit_are_read_whole_gzip_or_not() {
        let mut plain = Body::Plain(Vec::new(), 0);
        let got = read(&mut plain, &[b"{\"a\"", b":1}"], 8).ok().unwrap();
        assert_eq!(&got[..], b"{\"a\":1}");
        let data = vec![b'x'; 10_000];
        let packed = gzip(&data);
        let (one, two) = packed.split_at(packed.len() / 2);
        let got = read(&mut gz(10_000), &[one, two], 10_000).ok().unwrap();
        assert_eq!(got.len(), 10_000);
    }

    #[test]
    fn each_limit_holds_and_damage_is_named() {
        let mut plain = Body::Plain(Vec::new(), 0);
        assert!(matches!(
            read(&mut plain, &[b"12345", b"6789"], 8),
            Err(Pushed::Over { inflated: false })
        ));
        // A bomb: 1 MB of zeros in about 1 KB.
        let bomb = gzip(&vec![0u8; 1 << 20]);
        assert!(bomb.len() < 8 << 10);
        assert!(matches!(
            read(&mut gz(64 << 10), &[&bomb], 64 << 10),
            Err(Pushed::Over { inflated: true })
        ));
        assert!(matches!(
            read(&mut gz(100), &[&bomb], 100),
            Err(Pushed::Over { inflated: false })
        ));
        let cut = &bomb[..bomb.len() - 4];
        assert!(matches!(
            read(&mut gz(2 << 20), &[cut], 2 << 20),
            Err(Pushed::Damaged(_))
        ));
        assert!(matches!(
            read(&mut gz(100), &[b"not gzip at all"], 100),
            Err(Pushed::Damaged(_))
        ));
    }
}
