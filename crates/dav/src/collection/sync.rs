//! A collection's `sync-collection` report (RFC 6578): one request, pages
//! followed through truncated answers (a 507 for the collection), the
//! rounds merged, and the answer parsed (SOGo's lists told from contacts by
//! their media type).

use super::{Collection, Resource};
use crate::client::{DavError, check_status};
use crate::membership::{self, Entry};
use libdav::names;
use std::collections::BTreeMap;

/// The answer to a `sync-collection` report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncReport {
    /// What changed since the token given (everything, without a token).
    Changes {
        /// The token to ask with next time.
        token: String,
        /// Items added or changed, with their ETags.
        changed: Vec<Resource>,
        /// Hrefs of items deleted.
        deleted: Vec<String>,
    },
    /// The server no longer accepts the token (`DAV:valid-sync-token`, sent
    /// with 403 by Radicale and Cyrus, with 412 by Xandikos): list everything.
    InvalidToken,
}

/// One `sync-collection` answer (see [`Collection::sync_collection_page`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncPage {
    /// The changes it holds, or `InvalidToken`.
    pub report: SyncReport,
    /// The server truncated the answer (RFC 6578 §3.6): ask again with the
    /// report's token for the rest.
    pub truncated: bool,
}

/// `text` as XML character data.
fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Most requests [`Collection::sync_collection_all`] makes.
pub const MAX_SYNC_ROUNDS: usize = 1_000;

/// Adds one round's changes to those of the rounds before (href → the
/// resource if changed, `None` if deleted); the later round wins.
pub(super) fn merge_sync_round(
    merged: &mut BTreeMap<String, Option<Resource>>,
    changed: Vec<Resource>,
    deleted: Vec<String>,
) {
    for href in deleted {
        merged.insert(href, None);
    }
    for resource in changed {
        merged.insert(resource.href.clone(), Some(resource));
    }
}

pub(super) fn merged_report(
    token: String,
    merged: BTreeMap<String, Option<Resource>>,
) -> SyncReport {
    let mut changed = Vec::new();
    let mut deleted = Vec::new();
    for (href, resource) in merged {
        match resource {
            Some(resource) => changed.push(resource),
            None => deleted.push(href),
        }
    }
    SyncReport::Changes {
        token,
        changed,
        deleted,
    }
}

impl Collection {
    /// `sync-collection` (RFC 6578) since `token`, or from the start without one.
    ///
    /// A truncated answer (RFC 6578 §3.6: a 507 for the collection itself) is
    /// returned as if complete: its token continues where it stopped, so the
    /// rest shows up next time. [`sync_collection_all`](Self::sync_collection_all)
    /// asks again until complete; [`sync_collection_page`](Self::sync_collection_page)
    /// says whether an answer was truncated.
    pub async fn sync_collection(&self, token: Option<&str>) -> Result<SyncReport, DavError> {
        Ok(self.sync_collection_page(token).await?.report)
    }

    /// One `sync-collection` request, and whether the server truncated its
    /// answer (RFC 6578 §3.6): then `report`'s token is valid to continue with.
    /// The collection's own `<response>` (carrying the 507) is never an item.
    pub async fn sync_collection_page(&self, token: Option<&str>) -> Result<SyncPage, DavError> {
        let prepared = self.sync_request(token)?;
        let url = prepared.uri().to_string();
        let response = self.client.send(prepared).await?;
        let status = response.parts.status.as_u16();
        let names_token = String::from_utf8_lossy(&response.body).contains("valid-sync-token");
        if matches!(status, 403 | 409 | 412 | 400) && names_token {
            return Ok(SyncPage {
                report: SyncReport::InvalidToken,
                truncated: false,
            });
        }
        check_status(&url, response.parts.status)?;
        if !response.parts.status.is_success() {
            return Err(DavError::Status {
                url,
                status: response.parts.status,
            });
        }
        self.parse_sync(&response.body)
            .map_err(|message| DavError::Protocol { url, message })
    }

    /// Every change since `token` (everything without one), following
    /// truncated answers (RFC 6578 §3.6) with the token each one gives until
    /// an answer is complete, at most [`MAX_SYNC_ROUNDS`] requests. The rounds
    /// are merged, the later one winning: an href changed and then deleted is
    /// deleted, deleted and then created again is changed. `InvalidToken` if
    /// the server refuses a token of any round. Status errors (Radicale's 400
    /// for an answer over its item limit) are returned as they are.
    pub async fn sync_collection_all(&self, token: Option<&str>) -> Result<SyncReport, DavError> {
        let mut merged = BTreeMap::new();
        let mut token = token.map(str::to_string);
        for _ in 0..MAX_SYNC_ROUNDS {
            let page = self.sync_collection_page(token.as_deref()).await?;
            let SyncReport::Changes {
                token: next,
                changed,
                deleted,
            } = page.report
            else {
                return Ok(SyncReport::InvalidToken);
            };
            merge_sync_round(&mut merged, changed, deleted);
            if !page.truncated {
                return Ok(merged_report(next, merged));
            }
            if token.as_deref() == Some(next.as_str()) {
                return Err(DavError::Protocol {
                    url: self.client.url_of(&self.href),
                    message: "sync-collection answer truncated without a new sync token".into(),
                });
            }
            token = Some(next);
        }
        Err(DavError::Protocol {
            url: self.client.url_of(&self.href),
            message: format!("sync-collection still truncated after {MAX_SYNC_ROUNDS} requests"),
        })
    }

    /// The `sync-collection` REPORT (RFC 6578 §3.2): libdav's, except that it
    /// asks for `DAV:getcontenttype` beside the ETag, so that SOGo's lists
    /// can be told from contacts without reading them.
    pub(super) fn sync_request(
        &self,
        token: Option<&str>,
    ) -> Result<http::Request<String>, DavError> {
        let uri = libdav::dav::make_relative_url(self.client.base().clone(), &self.href)
            .map_err(|_| DavError::InvalidUrl(self.href.clone()))?;
        let token = match token {
            Some(token) => format!("<D:sync-token>{}</D:sync-token>", xml_escape(token)),
            None => "<D:sync-token/>".to_string(),
        };
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<D:sync-collection xmlns:D="DAV:">{token}<D:sync-level>1</D:sync-level><D:prop><D:getetag/><D:getcontenttype/></D:prop></D:sync-collection>"#
        );
        http::Request::builder()
            .method("REPORT")
            .uri(uri)
            .header(http::header::CONTENT_TYPE, "application/xml; charset=utf-8")
            .body(body)
            .map_err(|e| DavError::InvalidUrl(format!("{}: {e}", self.href)))
    }

    /// Whether `href` names this collection itself (with or without the slash).
    pub(crate) fn is_self(&self, href: &str) -> bool {
        href.trim_end_matches('/') == self.href.trim_end_matches('/')
    }

    /// Parses a `sync-collection` multistatus the way libdav does (an item
    /// with an ETag is changed, one with 404 is deleted), except that the
    /// collection's own response only says whether the answer is truncated,
    /// and that entries which are not this collection's items are skipped.
    pub(crate) fn parse_sync(&self, body: &[u8]) -> Result<SyncPage, String> {
        let text = std::str::from_utf8(body).map_err(|e| format!("not UTF-8: {e}"))?;
        let doc = roxmltree::Document::parse(text).map_err(|e| format!("bad XML: {e}"))?;
        let root = doc.root_element();
        let dav = |node: &roxmltree::Node, name: &str| {
            node.is_element()
                && node.tag_name().namespace() == Some(names::DAV)
                && node.tag_name().name() == name
        };
        if !dav(&root, "multistatus") {
            return Err("not a DAV:multistatus".into());
        }
        let token = root
            .children()
            .find(|n| dav(n, "sync-token"))
            .and_then(|n| n.text())
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or("missing DAV:sync-token in response")?
            .to_string();
        let mut truncated = false;
        let mut changed = Vec::new();
        let mut deleted = Vec::new();
        // (href, is a collection) of every response, for the membership check.
        let mut seen: Vec<(String, bool)> = Vec::new();
        for response in root.children().filter(|n| dav(n, "response")) {
            let raw = response
                .children()
                .find(|n| dav(n, "href"))
                .and_then(|n| n.text())
                .ok_or("missing href in response")?;
            let href = crate::multistatus::normalise_href(raw)
                .ok_or_else(|| format!("unusable href {raw:?} in response"))?;
            let status = response
                .descendants()
                .find(|n| dav(n, "status"))
                .and_then(|n| n.text())
                .map(|s| {
                    libdav::xmlutils::parse_statusline(s.trim())
                        .map_err(|_| format!("bad status line {s:?} in response"))
                })
                .transpose()?;
            if self.is_self(&href) {
                seen.push((href.clone(), true));
                truncated |= status.is_some_and(|s| s.as_u16() == 507)
                    || response
                        .descendants()
                        .any(|n| dav(&n, "number-of-matches-within-limits"));
                continue;
            }
            let etag = response
                .descendants()
                .find(|n| dav(n, "getetag"))
                .and_then(|n| n.text())
                .map(str::to_string);
            let content_type = response
                .descendants()
                .find(|n| dav(n, "getcontenttype"))
                .and_then(|n| n.text())
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            let is_collection = response
                .descendants()
                .filter(|n| dav(n, "resourcetype"))
                .any(|r| r.descendants().any(|n| dav(&n, "collection")));
            seen.push((href.clone(), is_collection));
            if !self.owns(&href) {
                continue;
            }
            match (etag, status.map(|s| s.as_u16())) {
                (Some(etag), _) if !is_collection => {
                    changed.push(Resource {
                        href,
                        etag,
                        content_type,
                    });
                }
                (Some(_), _) => {}
                (None, Some(404 | 410)) => deleted.push(href),
                (None, _) if is_collection => {}
                (None, _) => {
                    return Err(format!(
                        "missing etag for {href} in sync-collection response"
                    ));
                }
            }
        }
        let entries: Vec<Entry<'_>> = seen
            .iter()
            .map(|(href, collection)| Entry {
                href,
                collection: *collection,
                of_kind: None,
            })
            .collect();
        membership::check(&self.href, self.kind, &entries)?;
        Ok(SyncPage {
            report: SyncReport::Changes {
                token,
                changed,
                deleted,
            },
            truncated,
        })
    }
}
