//! The entries of the key table, one constant per key, and `KEYS`, all of them
//! in the order of the README.

use super::{DefaultValue, Key, Place, ValueType};

const GENERAL: &[Place] = &[Place::General];
const PROFILE: &[Place] = &[Place::Profile];
/// A profile key whose value in `[general]` is every profile's default.
const GENERAL_AND_PROFILE: &[Place] = &[Place::General, Place::Profile];
const VDIR: &[Place] = &[Place::Vdir];
const DAV: &[Place] = &[Place::Caldav, Place::Carddav];
/// Every store type.
pub(super) const STORES: &[Place] = &[Place::Vdir, Place::Caldav, Place::Carddav];

/// A key of the kind most keys are: given, or its default.
const fn key(
    name: &'static str,
    value: ValueType,
    default: DefaultValue,
    valid_in: &'static [Place],
    doc: &'static str,
) -> Key {
    Key {
        name,
        value,
        default,
        valid_in,
        doc,
    }
}

/// An optional string key of a caldav or carddav store, without a default.
const fn dav_string(name: &'static str, doc: &'static str) -> Key {
    key(name, ValueType::String, DefaultValue::None, DAV, doc)
}

/// A boolean key of a caldav or carddav store.
const fn dav_flag(name: &'static str, default: bool, doc: &'static str) -> Key {
    key(name, ValueType::Bool, DefaultValue::Bool(default), DAV, doc)
}

mod mapping;
pub(crate) use mapping::*;

/// `general.data_dir`.
pub(crate) const DATA_DIR: Key = key(
    "data_dir",
    ValueType::Path,
    DefaultValue::DataDir,
    GENERAL,
    "where status databases, reports, locks and the trash live",
);

/// `max_parallel`.
pub(crate) const MAX_PARALLEL: Key = key(
    "max_parallel",
    ValueType::Int { min: 1, max: 64 },
    DefaultValue::Int(4),
    GENERAL,
    "how many profiles `sync` and the daemon sync at once (profiles that share a folder or \
     a collection never run at the same time; `sync` prints them in order all the same)",
);

/// `lock_wait_seconds`.
pub(crate) const LOCK_WAIT_SECONDS: Key = key(
    "lock_wait_seconds",
    ValueType::Int { min: 0, max: 3600 },
    DefaultValue::Int(60),
    GENERAL,
    "how long a run waits for another run of the same profile (the daemon's, or one \
     started by hand) to end; after that the profile is skipped with a warning",
);

/// `log_file`.
pub(crate) const LOG_FILE: Key = key(
    "log_file",
    ValueType::Path,
    DefaultValue::None,
    GENERAL,
    "a log file besides standard error (which then gets the log only when it is a \
     terminal): a new file each day, the date in its name (`davsync.log` is written as \
     `davsync.2026-12-02.log`), the last 7 kept",
);

/// The levels `log_level` takes.
pub(crate) const LOG_LEVELS: &[&str] = &["error", "warn", "info", "debug", "trace"];

/// `log_level`.
pub(crate) const LOG_LEVEL: Key = key(
    "log_level",
    ValueType::OneOf(LOG_LEVELS),
    DefaultValue::Str("info"),
    GENERAL,
    "how much goes into `log_file` (standard error follows `-v` and `DAVSYNC_LOG`)",
);

/// `content`.
pub(crate) const CONTENT: Key = key(
    "content",
    ValueType::OneOf(&["events", "tasks", "contacts"]),
    DefaultValue::Required,
    PROFILE,
    "what the profile syncs: VEVENTs in `.ics` files, VTODOs in `.ics` files, or vCards \
     in `.vcf` files; other items in the folders are not the profile's",
);

/// `mode`.
pub(crate) const MODE: Key = key(
    "mode",
    ValueType::OneOf(&[
        "two-way",
        "to-server",
        "to-local",
        "to-server-merge",
        "to-local-merge",
    ]),
    DefaultValue::Str("two-way"),
    PROFILE,
    "which way changes go",
);

/// `conflicts`.
pub(crate) const CONFLICTS: Key = key(
    "conflicts",
    ValueType::OneOf(&["automatic", "local-wins", "server-wins", "keep-both"]),
    DefaultValue::Str("automatic"),
    PROFILE,
    "how an item changed on both sides is settled (`two-way` mode only)",
);

/// `max_delete`.
pub(crate) const MAX_DELETE: Key = key(
    "max_delete",
    ValueType::Int { min: 0, max: 100 },
    DefaultValue::Int(50),
    PROFILE,
    "the largest share of a side's items, in percent, that one run may delete there \
     without `--force`; `0` allows no deletion, `100` turns the check off",
);

/// `category`.
pub(crate) const CATEGORY: Key = key(
    "category",
    ValueType::String,
    DefaultValue::None,
    PROFILE,
    "the category filter: the profile owns the local items with this category",
);

/// `category_include_uncategorized`.
pub(crate) const CATEGORY_INCLUDE_UNCATEGORIZED: Key = key(
    "category_include_uncategorized",
    ValueType::Bool,
    DefaultValue::Bool(false),
    PROFILE,
    "the profile also owns local items without any category; needs `category`",
);

/// `category_negate`.
pub(crate) const CATEGORY_NEGATE: Key = key(
    "category_negate",
    ValueType::Bool,
    DefaultValue::Bool(false),
    PROFILE,
    "the profile owns every local item except those with the category; needs \
     `category`; excludes `category_include_uncategorized`",
);

/// `category_sticky`.
pub(crate) const CATEGORY_STICKY: Key = key(
    "category_sticky",
    ValueType::Bool,
    DefaultValue::Bool(false),
    PROFILE,
    "a local item synced before stays synced when it no longer meets the filter (its \
     category removed); without it, the server copy is deleted; needs `category`",
);

/// `duplicates`.
pub(crate) const DUPLICATES: Key = key(
    "duplicates",
    ValueType::OneOf(&["report", "remove"]),
    DefaultValue::Str("report"),
    PROFILE,
    "events: events with the same start, end and summary under different UIDs are \
     listed in the report (`report`), or the oldest is kept and the others are deleted on \
     both sides (`remove`; two-way and to-server modes)",
);

/// `chunk_size`.
pub(crate) const CHUNK_SIZE: Key = key(
    "chunk_size",
    ValueType::Int {
        min: 1,
        max: 10_000,
    },
    DefaultValue::Int(100),
    PROFILE,
    "items read per request (multiget) and written between two commits of the status database \
     (a first download into a folder: ten chunks between two commits)",
);

/// `max_item_size_mib`.
pub(crate) const MAX_ITEM_SIZE_MIB: Key = key(
    "max_item_size_mib",
    ValueType::Int { min: 1, max: 1024 },
    DefaultValue::Int(10),
    PROFILE,
    "an item larger than this many MiB (a file, or what a server hands over) is left \
     alone with an error; the rest of the run goes on",
);

/// `concurrency`.
pub(crate) const CONCURRENCY: Key = key(
    "concurrency",
    ValueType::Int { min: 1, max: 64 },
    DefaultValue::Int(4),
    PROFILE,
    "requests in flight at once, for reads, creations, updates and deletions",
);

/// `time_range`.
pub(crate) const TIME_RANGE: Key = key(
    "time_range",
    ValueType::TimeRange { max_days: 36_500 },
    DefaultValue::TimeRange {
        past_days: 60,
        future_days: 365,
    },
    PROFILE,
    "events and tasks: only new items that meet this span around today are taken up \
     (`false`: all; `{ past_days = N, future_days = M }`, 0 to 36500 each); contacts: none",
);

/// `full_listing_interval`.
pub(crate) const FULL_LISTING_INTERVAL: Key = key(
    "full_listing_interval",
    ValueType::Duration,
    DefaultValue::Str("1d"),
    PROFILE,
    "how long a server's changes since the last run (its sync token) are taken on its \
     word before the collection is listed in full again, which finds deletions a server \
     left out of its changes (`\"off\"`: never)",
);

/// `offline_tolerance`.
pub(crate) const OFFLINE_TOLERANCE: Key = key(
    "offline_tolerance",
    ValueType::Int {
        min: 0,
        max: 10_000,
    },
    DefaultValue::Int(3),
    GENERAL_AND_PROFILE,
    "how many runs in a row may find a server unreachable (offline: its name does not \
     resolve, the connection is refused or finds no route, connecting times out) and end \
     as `skipped: offline`, a warning with exit status 0; the next such run is an error. \
     In `[general]`: every profile's default",
);

/// `interval`.
pub(crate) const INTERVAL: Key = key(
    "interval",
    ValueType::Duration,
    DefaultValue::Str("30m"),
    GENERAL_AND_PROFILE,
    "how often the daemon syncs the profile (`\"30s\"`, `\"15m\"`, `\"1h\"`; `\"off\"`: \
     only after a local change). In `[general]`: every profile's default",
);

/// `watch`.
pub(crate) const WATCH: Key = key(
    "watch",
    ValueType::Bool,
    DefaultValue::Bool(true),
    GENERAL_AND_PROFILE,
    "the daemon syncs the profile about 2 seconds after a change in its local folder \
     (not after its own writes). In `[general]`: every profile's default",
);

/// `reports`.
pub(crate) const REPORTS: Key = key(
    "reports",
    ValueType::OneOf(&["errors", "warnings", "all"]),
    DefaultValue::Str("warnings"),
    GENERAL_AND_PROFILE,
    "which runs keep a report file in `<data_dir>/reports/<profile>/`: the runs with errors, \
     the runs with warnings or errors (a run skipped offline counts as warnings), or every \
     run (dry runs never do). In `[general]`: every profile's default",
);

/// `report_retention_days`.
pub(crate) const REPORT_RETENTION_DAYS: Key = key(
    "report_retention_days",
    ValueType::Int {
        min: 0,
        max: 36_500,
    },
    DefaultValue::Int(30),
    GENERAL_AND_PROFILE,
    "the profile's report files older than this many days are deleted at each of its runs \
     (by the time in the file name and the file's modification time, whichever is later); \
     `0`: kept for ever. In `[general]`: every profile's default",
);

/// `trash_retention_days`.
pub(crate) const TRASH_RETENTION_DAYS: Key = key(
    "trash_retention_days",
    ValueType::Int {
        min: 0,
        max: 36_500,
    },
    DefaultValue::Int(30),
    GENERAL_AND_PROFILE,
    "files in the profile's trash older than this many days (since they were put there) are \
     deleted at each of its runs; `0`: kept for ever. In `[general]`: every profile's default",
);

/// `inactive`.
pub(crate) const INACTIVE: Key = key(
    "inactive",
    ValueType::Bool,
    DefaultValue::Bool(false),
    PROFILE,
    "`true`: `davsync sync` and `davsync daemon` without profile names skip the profile (and \
     say so); it runs when named, as in `davsync sync NAME`",
);

/// `local`.
pub(crate) const LOCAL: Key = key(
    "local",
    ValueType::Store,
    DefaultValue::Required,
    PROFILE,
    "the local store, such as `{ type = \"vdir\", path = \"~/calendars/work\" }`",
);

/// `server`.
pub(crate) const SERVER: Key = key(
    "server",
    ValueType::Store,
    DefaultValue::Required,
    PROFILE,
    "the other store: a folder, or a collection on a server",
);

/// A store's `type`.
pub(crate) const TYPE: Key = key(
    "type",
    ValueType::OneOf(&["vdir", "caldav", "carddav"]),
    DefaultValue::Required,
    STORES,
    "the kind of store: a folder of `.ics` or `.vcf` files, a CalDAV calendar (events and \
     tasks) or a CardDAV address book (contacts)",
);

/// A vdir store's `path`.
pub(crate) const PATH: Key = key(
    "path",
    ValueType::Path,
    DefaultValue::Required,
    VDIR,
    "the folder; created when missing, but never its parent",
);

/// A server store's `url`.
pub(crate) const URL: Key = key(
    "url",
    ValueType::Url,
    DefaultValue::Required,
    DAV,
    "the collection's URL, without a user name or password in it",
);

/// A server store's `username`.
pub(crate) const USERNAME: Key = dav_string("username", "the login name");

/// `password_command`.
pub(crate) const PASSWORD_COMMAND: Key = dav_string(
    "password_command",
    "a command whose first line of output is the password (run with `sh -c`, at most 30 s)",
);

/// `password_keyring`.
pub(crate) const PASSWORD_KEYRING: Key = dav_flag(
    "password_keyring",
    false,
    "`true`: the password is the system keyring's entry for service `davsync`, user \
     `<username>@<host of url>`",
);

/// `password_env`.
pub(crate) const PASSWORD_ENV: Key = dav_string(
    "password_env",
    "the environment variable holding the password",
);

/// `password`.
pub(crate) const PASSWORD: Key = dav_string(
    "password",
    "the password itself: works, but every run warns",
);

/// `timeout_seconds`.
pub(crate) const TIMEOUT_SECONDS: Key = key(
    "timeout_seconds",
    ValueType::Int { min: 1, max: 3600 },
    DefaultValue::Int(90),
    DAV,
    "the time each request may take, in seconds (a large collection needs more on a slow \
     server: Radicale 3.9 took about 2 minutes to begin its answer to a first read of 100,000 \
     events here; a timeout says so)",
);

/// `connect_timeout_seconds`.
pub(crate) const CONNECT_TIMEOUT_SECONDS: Key = key(
    "connect_timeout_seconds",
    ValueType::Int { min: 1, max: 600 },
    DefaultValue::Int(10),
    DAV,
    "the time connecting to the server may take, in seconds: a server that cannot be \
     reached is known to be offline within it (a connection refused at once)",
);

/// `close_connection`.
pub(crate) const CLOSE_CONNECTION: Key = dav_flag(
    "close_connection",
    false,
    "`true`: a new connection for every request (no keep-alive), for servers and \
     proxies that mishandle kept-alive connections",
);

/// `preemptive_auth`.
pub(crate) const PREEMPTIVE_AUTH: Key = dav_flag(
    "preemptive_auth",
    true,
    "send the password with Basic authentication on the first request, before the \
     server asks; `false`: wait for the server's challenge (and answer Digest if it asks for it)",
);

/// `force_basic_auth`.
pub(crate) const FORCE_BASIC_AUTH: Key = dav_flag(
    "force_basic_auth",
    false,
    "`true`: always Basic authentication, even when the server offers Digest",
);

/// `retries`.
pub(crate) const RETRIES: Key = key(
    "retries",
    ValueType::Int { min: 0, max: 10 },
    DefaultValue::Int(3),
    DAV,
    "how often a request that failed on the way (dropped connection, timeout, 408, 429, \
     500, 502, 503, 504) is sent again, after a pause that doubles each time (or as long \
     as the server's `Retry-After` says)",
);

/// `accept_invalid_xml_chars`.
pub(crate) const ACCEPT_INVALID_XML_CHARS: Key = dav_flag(
    "accept_invalid_xml_chars",
    false,
    "`true`: remove characters XML 1.0 forbids (control characters such as form feed) \
     from the server's answers instead of refusing them",
);

/// `lenient_headers`.
pub(crate) const LENIENT_HEADERS: Key = dav_flag(
    "lenient_headers",
    false,
    "`true`: accept answers with malformed header lines (spaces before the colon, \
     obsolete folded lines; invalid lines are skipped)",
);

/// `proxy`.
pub(crate) const PROXY: Key = key(
    "proxy",
    ValueType::String,
    DefaultValue::Str("system"),
    DAV,
    "`\"system\"`: the proxy of `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` \
     (and the system settings on macOS and Windows); `\"none\"`: no proxy; or the \
     proxy's URL, `\"http://HOST:PORT\"` or `\"https://HOST:PORT\"`, without a user name \
     or password in it",
);

/// `proxy_username`.
pub(crate) const PROXY_USERNAME: Key = dav_string(
    "proxy_username",
    "the user name on the proxy; needs `proxy` set to a URL; without a proxy password \
     key the password is empty",
);

/// `proxy_password_command`.
pub(crate) const PROXY_PASSWORD_COMMAND: Key = dav_string(
    "proxy_password_command",
    "the proxy password, as `password_command`; needs `proxy` set to a URL and `proxy_username`",
);

/// `proxy_password_keyring`.
pub(crate) const PROXY_PASSWORD_KEYRING: Key = dav_flag(
    "proxy_password_keyring",
    false,
    "the proxy password, from the keyring as `password_keyring` (user \
     `<proxy_username>@<host of proxy>`); needs `proxy` set to a URL and `proxy_username`",
);

/// `proxy_password_env`.
pub(crate) const PROXY_PASSWORD_ENV: Key = dav_string(
    "proxy_password_env",
    "the proxy password, as `password_env`; needs `proxy` set to a URL and `proxy_username`",
);

/// `proxy_password`.
pub(crate) const PROXY_PASSWORD: Key = dav_string(
    "proxy_password",
    "the proxy password itself (every run warns); needs `proxy` set to a URL and `proxy_username`",
);

/// `tls_ca_file`.
pub(crate) const TLS_CA_FILE: Key = key(
    "tls_ca_file",
    ValueType::Path,
    DefaultValue::None,
    DAV,
    "a PEM file of certificates trusted besides the system's: a self-signed server's \
     own certificate, or the CA that signed it",
);

/// `tls_client_cert`.
pub(crate) const TLS_CLIENT_CERT: Key = key(
    "tls_client_cert",
    ValueType::Path,
    DefaultValue::None,
    DAV,
    "a client certificate (PEM, the chain from the client's own); needs `tls_client_key`",
);

/// `tls_client_key`.
pub(crate) const TLS_CLIENT_KEY: Key = key(
    "tls_client_key",
    ValueType::Path,
    DefaultValue::None,
    DAV,
    "the client certificate's private key (PEM); needs `tls_client_cert`",
);

/// `tls_fingerprint`.
pub(crate) const TLS_FINGERPRINT: Key = dav_string(
    "tls_fingerprint",
    "the SHA-256 fingerprint of the server's certificate, as `AB:CD:…` or 64 hex digits: \
     pins the certificate and replaces the CA check",
);

/// `tls_insecure`.
pub(crate) const TLS_INSECURE: Key = dav_flag(
    "tls_insecure",
    false,
    "`true`: accept any certificate (every run warns); not together with \
     `tls_fingerprint` or `tls_ca_file`",
);

/// Every key, in the order of the README: general, profile, store.
pub(crate) const KEYS: &[Key] = &[
    DATA_DIR,
    MAX_PARALLEL,
    LOCK_WAIT_SECONDS,
    LOG_FILE,
    LOG_LEVEL,
    CONTENT,
    MODE,
    CONFLICTS,
    MAX_DELETE,
    CATEGORY,
    CATEGORY_INCLUDE_UNCATEGORIZED,
    CATEGORY_NEGATE,
    CATEGORY_STICKY,
    DUPLICATES,
    // Mapping options: reminders, time zones, task dates.
    REMINDERS,
    REMINDERS_TO_SERVER,
    REMINDERS_TO_LOCAL,
    TIMEZONES,
    TIMEZONE_HISTORY,
    TASK_DATES,
    // Mapping options: scheduling, privacy, descriptions, custom properties.
    SCHEDULE_AGENT_CLIENT,
    SOGO_NO_NOTIFICATIONS,
    MAP_ATTENDEES,
    ORGANIZER_SENT_BY,
    CLASS_PUBLIC_OMIT,
    CLASS_PRIVATE_AS_CONFIDENTIAL,
    CLASS_CONFIDENTIAL_AS_PRIVATE,
    PRIVATE_EVENTS,
    DESCRIPTION,
    HTML_DESCRIPTION,
    PROPERTY_MAP,
    // Contact options: vCard version, instant messaging, group format.
    VCARD_VERSION,
    IM,
    GROUP_FORMAT,
    LISTS,
    SERVER_GROUPS,
    GROUP_DANGLING,
    PHOTO_URI,
    KEEP_LOCAL_PHOTO,
    CHUNK_SIZE,
    MAX_ITEM_SIZE_MIB,
    CONCURRENCY,
    TIME_RANGE,
    FULL_LISTING_INTERVAL,
    OFFLINE_TOLERANCE,
    INTERVAL,
    WATCH,
    REPORTS,
    REPORT_RETENTION_DAYS,
    TRASH_RETENTION_DAYS,
    INACTIVE,
    LOCAL,
    SERVER,
    TYPE,
    PATH,
    URL,
    USERNAME,
    PASSWORD_COMMAND,
    PASSWORD_KEYRING,
    PASSWORD_ENV,
    PASSWORD,
    TIMEOUT_SECONDS,
    CONNECT_TIMEOUT_SECONDS,
    CLOSE_CONNECTION,
    PREEMPTIVE_AUTH,
    FORCE_BASIC_AUTH,
    RETRIES,
    ACCEPT_INVALID_XML_CHARS,
    LENIENT_HEADERS,
    PROXY,
    PROXY_USERNAME,
    PROXY_PASSWORD_COMMAND,
    PROXY_PASSWORD_KEYRING,
    PROXY_PASSWORD_ENV,
    PROXY_PASSWORD,
    TLS_CA_FILE,
    TLS_CLIENT_CERT,
    TLS_CLIENT_KEY,
    TLS_FINGERPRINT,
    TLS_INSECURE,
];
