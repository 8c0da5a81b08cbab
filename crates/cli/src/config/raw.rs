//! The file as serde reads it: one struct per table, every value with its span
//! where an error may have to point at it. Checks and defaults come later.

use super::keys::{self, Place};
use super::mapping::{RawDescription, RawHtmlDescription, RawPrivateEvents, RawPropertyRule};
use super::profile::Content;
use crate::retention::ReportLevel;
use davsync_sync::mapping::{
    DanglingOption, GroupFormatOption, ImStyle, ListsOption, PhotoUriOption, Reminders,
    ServerGroupsOption, TaskDates, TimeZones, VcardVersionOption,
};
use davsync_sync::{ConflictPolicy, Mode};
use serde::Deserialize;
use serde::de::IntoDeserializer;
use std::collections::BTreeMap;
use std::ops::Range;
use toml::Spanned;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFile {
    #[serde(default)]
    pub(super) general: RawGeneral,
    #[serde(default)]
    pub(super) profiles: BTreeMap<Spanned<String>, RawProfile>,
}

/// `[general]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGeneral {
    pub(super) data_dir: Option<Spanned<String>>,
    pub(super) max_parallel: Option<Spanned<i64>>,
    pub(super) lock_wait_seconds: Option<Spanned<i64>>,
    pub(super) log_file: Option<Spanned<String>>,
    pub(super) log_level: Option<Spanned<String>>,
    pub(super) offline_tolerance: Option<Spanned<i64>>,
    pub(super) interval: Option<Spanned<String>>,
    pub(super) watch: Option<bool>,
    pub(super) reports: Option<ReportLevel>,
    pub(super) report_retention_days: Option<Spanned<i64>>,
    pub(super) trash_retention_days: Option<Spanned<i64>>,
}

/// `[profiles.NAME]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProfile {
    pub(super) content: Content,
    #[serde(default = "default_mode")]
    pub(super) mode: Mode,
    #[serde(default = "default_conflicts")]
    pub(super) conflicts: ConflictPolicy,
    #[serde(default = "default_max_delete")]
    pub(super) max_delete: Spanned<i64>,
    pub(super) category: Option<Spanned<String>>,
    #[serde(default = "default_include_uncategorized")]
    pub(super) category_include_uncategorized: bool,
    #[serde(default = "default_negate")]
    pub(super) category_negate: bool,
    #[serde(default)]
    pub(super) category_sticky: bool,
    pub(super) duplicates: Option<Spanned<DuplicatesOption>>,

    // Mapping options: reminders, time zones, task dates.
    pub(super) reminders: Option<Spanned<Reminders>>,
    pub(super) reminders_to_server: Option<Spanned<Reminders>>,
    pub(super) reminders_to_local: Option<Spanned<Reminders>>,
    pub(super) timezones: Option<Spanned<TimeZones>>,
    pub(super) timezone_history: Option<Spanned<bool>>,
    pub(super) task_dates: Option<Spanned<TaskDates>>,
    // Mapping options: scheduling, privacy, descriptions, custom properties
    // (read in `mapping.rs`).
    pub(super) schedule_agent_client: Option<Spanned<bool>>,
    pub(super) sogo_no_notifications: Option<Spanned<bool>>,
    pub(super) map_attendees: Option<Spanned<bool>>,
    pub(super) organizer_sent_by: Option<Spanned<String>>,
    pub(super) class_public_omit: Option<Spanned<bool>>,
    pub(super) class_private_as_confidential: Option<Spanned<bool>>,
    pub(super) class_confidential_as_private: Option<Spanned<bool>>,
    pub(super) private_events: Option<Spanned<RawPrivateEvents>>,
    pub(super) description: Option<Spanned<RawDescription>>,
    pub(super) html_description: Option<Spanned<RawHtmlDescription>>,
    pub(super) property_map: Option<Spanned<Vec<Spanned<RawPropertyRule>>>>,
    // Contact options: vCard version, instant messaging, group format (read
    // in `contacts.rs`).
    pub(super) vcard_version: Option<Spanned<VcardVersionOption>>,
    pub(super) im: Option<Spanned<ImStyle>>,
    pub(super) group_format: Option<Spanned<GroupFormatOption>>,
    pub(super) lists: Option<Spanned<ListsOption>>,
    pub(super) server_groups: Option<Spanned<ServerGroupsOption>>,
    pub(super) group_dangling: Option<Spanned<DanglingOption>>,
    pub(super) photo_uri: Option<Spanned<PhotoUriOption>>,
    pub(super) keep_local_photo: Option<Spanned<bool>>,
    pub(super) chunk_size: Option<Spanned<i64>>,
    pub(super) max_item_size_mib: Option<Spanned<i64>>,
    pub(super) concurrency: Option<Spanned<i64>>,
    pub(super) time_range: Option<Spanned<toml::Value>>,
    pub(super) full_listing_interval: Option<Spanned<String>>,
    pub(super) offline_tolerance: Option<Spanned<i64>>,
    pub(super) interval: Option<Spanned<String>>,
    pub(super) watch: Option<bool>,
    pub(super) reports: Option<ReportLevel>,
    pub(super) report_retention_days: Option<Spanned<i64>>,
    pub(super) trash_retention_days: Option<Spanned<i64>>,
    #[serde(default = "default_inactive")]
    pub(super) inactive: bool,
    pub(super) local: Spanned<RawStore>,
    pub(super) server: Spanned<RawStore>,
}

/// `duplicates`, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum DuplicatesOption {
    /// Listed in the report.
    Report,
    /// The others deleted.
    Remove,
}

/// A string default of the table, read as the enum serde reads from the file.
pub(super) fn from_table<'de, T: Deserialize<'de>>(key: &keys::Key) -> T {
    let value: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
        key.str_default().into_deserializer();
    // The unit tests parse a profile without the key: a default the enum
    // does not know fails there.
    T::deserialize(value).expect("the table's default is one of the key's values")
}

fn default_mode() -> Mode {
    from_table(&keys::MODE)
}

fn default_conflicts() -> ConflictPolicy {
    from_table(&keys::CONFLICTS)
}

fn default_max_delete() -> Spanned<i64> {
    Spanned::new(0..0, keys::MAX_DELETE.int_default())
}

fn default_include_uncategorized() -> bool {
    keys::CATEGORY_INCLUDE_UNCATEGORIZED.bool_default()
}

fn default_negate() -> bool {
    keys::CATEGORY_NEGATE.bool_default()
}

fn default_inactive() -> bool {
    keys::INACTIVE.bool_default()
}

/// A store table, as written (`{ type = "vdir", path = "…" }`): the keys of
/// every store type; which type takes which is the key table's to say.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStore {
    #[serde(rename = "type")]
    pub(super) kind: Spanned<String>,
    pub(super) path: Option<Spanned<String>>,
    pub(super) url: Option<Spanned<String>>,
    pub(super) username: Option<Spanned<String>>,
    pub(super) password_command: Option<String>,
    #[serde(default)]
    pub(super) password_keyring: bool,
    pub(super) password_env: Option<String>,
    pub(super) password: Option<String>,
    pub(super) timeout_seconds: Option<Spanned<i64>>,
    pub(super) connect_timeout_seconds: Option<Spanned<i64>>,
    pub(super) close_connection: Option<Spanned<bool>>,
    pub(super) preemptive_auth: Option<Spanned<bool>>,
    pub(super) force_basic_auth: Option<Spanned<bool>>,
    pub(super) retries: Option<Spanned<i64>>,
    pub(super) accept_invalid_xml_chars: Option<Spanned<bool>>,
    pub(super) lenient_headers: Option<Spanned<bool>>,
    pub(super) proxy: Option<Spanned<String>>,
    pub(super) proxy_username: Option<Spanned<String>>,
    pub(super) proxy_password_command: Option<Spanned<String>>,
    pub(super) proxy_password_keyring: Option<Spanned<bool>>,
    pub(super) proxy_password_env: Option<Spanned<String>>,
    pub(super) proxy_password: Option<Spanned<String>>,
    pub(super) tls_ca_file: Option<Spanned<String>>,
    pub(super) tls_client_cert: Option<Spanned<String>>,
    pub(super) tls_client_key: Option<Spanned<String>>,
    pub(super) tls_fingerprint: Option<Spanned<String>>,
    pub(super) tls_insecure: Option<Spanned<bool>>,
}

impl RawStore {
    /// Every key given besides `type`, with its span (`store`: the table's,
    /// for the keys read without one), in the order of the file.
    pub(super) fn given(&self, store: &Range<usize>) -> Vec<(&'static str, Range<usize>)> {
        let unspanned = |set: bool| set.then(|| store.clone());
        let spans_of_strings = [
            ("path", &self.path),
            ("url", &self.url),
            ("username", &self.username),
            ("proxy", &self.proxy),
            ("proxy_username", &self.proxy_username),
            ("proxy_password_command", &self.proxy_password_command),
            ("proxy_password_env", &self.proxy_password_env),
            ("proxy_password", &self.proxy_password),
            ("tls_ca_file", &self.tls_ca_file),
            ("tls_client_cert", &self.tls_client_cert),
            ("tls_client_key", &self.tls_client_key),
            ("tls_fingerprint", &self.tls_fingerprint),
        ]
        .map(|(name, value)| (name, value.as_ref().map(Spanned::span)));
        let spans_of_flags = [
            ("close_connection", &self.close_connection),
            ("preemptive_auth", &self.preemptive_auth),
            ("force_basic_auth", &self.force_basic_auth),
            ("accept_invalid_xml_chars", &self.accept_invalid_xml_chars),
            ("lenient_headers", &self.lenient_headers),
            ("proxy_password_keyring", &self.proxy_password_keyring),
            ("tls_insecure", &self.tls_insecure),
        ]
        .map(|(name, value)| (name, value.as_ref().map(Spanned::span)));
        let spans_of_numbers = [
            ("timeout_seconds", &self.timeout_seconds),
            ("connect_timeout_seconds", &self.connect_timeout_seconds),
            ("retries", &self.retries),
        ]
        .map(|(name, value)| (name, value.as_ref().map(Spanned::span)));
        let others = [
            (
                "password_command",
                unspanned(self.password_command.is_some()),
            ),
            ("password_keyring", unspanned(self.password_keyring)),
            ("password_env", unspanned(self.password_env.is_some())),
            ("password", unspanned(self.password.is_some())),
        ];
        let mut keys: Vec<(&'static str, Range<usize>)> = spans_of_strings
            .into_iter()
            .chain(spans_of_flags)
            .chain(spans_of_numbers)
            .chain(others)
            .filter_map(|(name, span)| Some((name, span?)))
            .collect();
        keys.sort_by_key(|(_, span)| span.start);
        keys
    }

    /// The keys given that a store of type `place` does not take, in the
    /// order of the file.
    pub(super) fn misplaced(
        &self,
        place: Place,
        store: &Range<usize>,
    ) -> Vec<(&'static str, Range<usize>)> {
        self.given(store)
            .into_iter()
            .filter(|(name, _)| keys::find(name, place).is_none())
            .collect()
    }
}
