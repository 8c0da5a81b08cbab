//! Where discovery starts for an e-mail address: the DNS SRV records of
//! CalDAV and CardDAV (ordered by priority and weight, RFC 2782) and the
//! context path of their TXT records (RFC 6764), through `hickory-resolver`.

use super::*;

pub(super) fn resolver(options: &DiscoveryOptions) -> Result<TokioResolver, DiscoveryError> {
    let built = match options.dns_server {
        Some(addr) => {
            let mut udp = ConnectionConfig::udp();
            udp.port = addr.port();
            let mut tcp = ConnectionConfig::tcp();
            tcp.port = addr.port();
            let server = NameServerConfig::new(addr.ip(), true, vec![udp, tcp]);
            hickory_resolver::Resolver::builder_with_config(
                ResolverConfig::from_name_servers(vec![server]),
                TokioRuntimeProvider::default(),
            )
            .build()
        }
        None => hickory_resolver::Resolver::builder_tokio().and_then(|b| b.build()),
    };
    built.map_err(|e| DiscoveryError::Resolver(e.to_string()))
}

/// One SRV record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SrvTarget {
    pub(super) priority: u16,
    pub(super) weight: u16,
    pub(super) port: u16,
    pub(super) host: String,
}

/// The start URLs the SRV (and TXT) records of `domain` give for `service`:
/// the TLS records first, each set in RFC 2782 order.
pub(super) async fn srv_contexts(
    resolver: &TokioResolver,
    domain: &str,
    service: Service,
    notes: &mut Vec<String>,
) -> Vec<String> {
    let mut contexts = Vec::new();
    for (label, scheme) in service.labels() {
        let name = format!("{label}._tcp.{domain}.");
        let records: Vec<SrvTarget> = match resolver.srv_lookup(name.as_str()).await {
            Ok(lookup) => lookup
                .answers()
                .iter()
                .filter_map(|r| match &r.data {
                    RData::SRV(srv) => Some(SrvTarget {
                        priority: srv.priority,
                        weight: srv.weight,
                        port: srv.port,
                        host: srv.target.to_utf8().trim_end_matches('.').to_string(),
                    }),
                    _ => None,
                })
                .collect(),
            Err(e) if e.is_no_records_found() || e.is_nx_domain() => {
                tracing::info!("discovery: DNS: no SRV record {name}");
                Vec::new()
            }
            Err(e) => {
                let line = format!("DNS: SRV {name}: {e}");
                tracing::info!("discovery: {line}");
                notes.push(line);
                Vec::new()
            }
        };
        if records.is_empty() {
            continue;
        }
        // A single record with target "." says: no such service here (RFC 2782).
        if records.len() == 1 && records[0].host.is_empty() {
            notes.push(format!("DNS: SRV {name} says the service is not offered"));
            continue;
        }
        let path = txt_path(resolver, &name)
            .await
            .unwrap_or_else(|| "/".into());
        let ordered = order_srv(records, &mut random_up_to);
        for target in ordered.into_iter().filter(|t| !t.host.is_empty()) {
            let default_port = if scheme == "https" { 443 } else { 80 };
            let host = if target.host.contains(':') {
                format!("[{}]", target.host)
            } else {
                target.host.clone()
            };
            let authority = if target.port == default_port {
                host
            } else {
                format!("{host}:{}", target.port)
            };
            tracing::info!(
                "discovery: DNS: {name} → {scheme}://{authority}{path} (priority {}, weight {})",
                target.priority,
                target.weight
            );
            contexts.push(format!("{scheme}://{authority}{path}"));
        }
    }
    contexts
}

/// The context path of a TXT record `path=/…` at `name`.
pub(super) async fn txt_path(resolver: &TokioResolver, name: &str) -> Option<String> {
    let lookup = resolver.txt_lookup(name).await.ok()?;
    lookup.answers().iter().find_map(|r| match &r.data {
        RData::TXT(txt) => txt_path_of(txt.txt_data.iter().map(|s| s.as_ref())),
        _ => None,
    })
}

/// `path=…` among the strings of one TXT record.
pub(super) fn txt_path_of<'a>(strings: impl Iterator<Item = &'a [u8]>) -> Option<String> {
    strings
        .filter_map(|s| std::str::from_utf8(s).ok())
        .find_map(|s| s.trim().strip_prefix("path="))
        .map(str::trim)
        .filter(|p| p.starts_with('/'))
        .map(str::to_string)
}

/// A random number from 0 to `max`, both included (not for cryptography).
pub(super) fn random_up_to(max: u32) -> u32 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(max);
    (hasher.finish() % (u64::from(max) + 1)) as u32
}

/// Orders SRV records as RFC 2782 says: lowest priority first; within a
/// priority, repeatedly a weighted random pick (records of weight 0 first in
/// the running sum, so they are rarely picked before others).
pub(super) fn order_srv(
    mut records: Vec<SrvTarget>,
    random: &mut impl FnMut(u32) -> u32,
) -> Vec<SrvTarget> {
    records.sort_by_key(|r| (r.priority, r.weight != 0));
    let mut ordered = Vec::with_capacity(records.len());
    while !records.is_empty() {
        let priority = records[0].priority;
        let mut group: Vec<SrvTarget> = Vec::new();
        while records.first().is_some_and(|r| r.priority == priority) {
            group.push(records.remove(0));
        }
        while !group.is_empty() {
            let total: u32 = group.iter().map(|r| u32::from(r.weight)).sum();
            let pick = random(total);
            let mut sum = 0;
            let index = group
                .iter()
                .position(|r| {
                    sum += u32::from(r.weight);
                    sum >= pick
                })
                .unwrap_or(0);
            ordered.push(group.remove(index));
        }
    }
    ordered
}
