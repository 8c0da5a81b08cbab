//! The presets, one entry per server: URLs as the server's makers document
//! them (the source in a comment on each entry), the keys after the
//! original's preset (`ProfileTypes/ConcreteTypes/*.cs`, digest §4.5) and its
//! per-server defaults (§4.2, §4.4), quirks after the digest's §8.4 and the
//! project's server notes.

use super::Applies::{Calendars, Contacts, Events};
use super::Serves::{Both, CalDav, CardDav};
use super::{Preset, Root, Setting};
use crate::config::keys;

/// One root for calendars and address books.
const fn both(template: &'static str) -> Root {
    Root {
        serves: Both,
        template,
    }
}

/// A CalDAV root and a CardDAV root.
const fn split(caldav: &'static str, carddav: &'static str) -> [Root; 2] {
    [
        Root {
            serves: CalDav,
            template: caldav,
        },
        Root {
            serves: CardDav,
            template: carddav,
        },
    ]
}

// The settings several presets share.

/// ScheduleAgentClient = false (SOGo, EGroupware, Fastmail).
const NO_SCHEDULE_AGENT: Setting = Setting {
    key: &keys::SCHEDULE_AGENT_CLIENT,
    value: "false",
    applies: Calendars,
    why: "the original's ScheduleAgentClient = false for this server",
};

/// SendNoAppointmentNotifications = true (SOGo, Open-Xchange).
const NO_NOTIFICATIONS: Setting = Setting {
    key: &keys::SOGO_NO_NOTIFICATIONS,
    value: "true",
    applies: Calendars,
    why: "the original's SendNoAppointmentNotifications: the server mails no invitations",
};

/// UseIanaTz (iCloud, GMX, Web.de, Fastmail).
const IANA_ZONES: Setting = Setting {
    key: &keys::TIMEZONES,
    value: "\"iana\"",
    applies: Calendars,
    why: "the original's UseIanaTz: the server wants IANA zones, not Windows ones",
};

/// DistributionListType = VCardGroupWithUid (iCloud, EGroupware, Fastmail).
const APPLE_GROUPS: Setting = Setting {
    key: &keys::SERVER_GROUPS,
    value: "\"apple\"",
    applies: Contacts,
    why: "the original's VCardGroupWithUid lists: Apple-style groups, members by UID",
};

/// The original's `UseGlobalAppointmentID`, which davsync has no use for.
const NO_GLOBAL_ID: &str = "the original's UseGlobalAppointmentID (Outlook's meeting ID as \
                            the UID) has no counterpart: a folder's items keep their own UIDs";

/// Every preset, in the order `davsync presets` and the README list them.
pub(crate) static PRESETS: &[Preset] = &[
    // Self-hosted servers run here.
    Preset {
        name: "sogo",
        aliases: &[],
        server: "SOGo",
        // The original's SOGo preset (digest §4.5): https://sogo.example.com/SOGo/dav/
        roots: &[both("https://{host}/SOGo/dav/")],
        login: "the SOGo user name",
        settings: &[
            NO_SCHEDULE_AGENT,
            NO_NOTIFICATIONS,
            Setting {
                key: &keys::SERVER_GROUPS,
                value: "\"vlist\"",
                applies: Contacts,
                why: "the original's SOGo lists (VLIST)",
            },
        ],
        notes: &[
            NO_GLOBAL_ID,
            "ignores If-None-Match on PUT and If-Match on DELETE; davsync checks before it writes",
        ],
        tested_here: true,
        unsupported: None,
    },
    Preset {
        name: "radicale",
        aliases: &[],
        server: "Radicale",
        // Radicale's documentation: the server's root; the suite's Radicale (/USER/ below it)
        roots: &[both("https://{host}/")],
        login: "the Radicale user name",
        settings: &[],
        notes: &[
            "a bare --host means https on port 443 (a reverse proxy); Radicale itself \
                  listens on 5232: --host http://HOST:5232",
        ],
        tested_here: true,
        unsupported: None,
    },
    Preset {
        name: "xandikos",
        aliases: &[],
        server: "Xandikos",
        // Xandikos answers current-user-principal at its root (the suite's Xandikos)
        roots: &[both("https://{host}/")],
        login: "the user name of the web server in front of Xandikos",
        settings: &[],
        notes: &["answers an unknown sync token with 412; davsync lists in full"],
        tested_here: true,
        unsupported: None,
    },
    Preset {
        name: "davical",
        aliases: &[],
        server: "DAViCal",
        // DAViCal's client notes (davical.org clients.php, mirrored at
        // uwemahlmann.de/davical_doc/clients.php): root path /caldav.php/, then the user
        roots: &[both("https://{host}/caldav.php/{user}/")],
        login: "the DAViCal user name",
        settings: &[],
        notes: &[
            "installed under a path (https://HOST/davical/caldav.php/): --host HOST/davical",
            "answers an expired sync token with a listing that leaves deletions out; davsync \
             finds them at the next full listing",
        ],
        tested_here: true,
        unsupported: None,
    },
    Preset {
        name: "cyrus",
        aliases: &["cyrus-imapd"],
        server: "Cyrus IMAP",
        // Cyrus serves CalDAV and CardDAV under /dav/ (the suite's Cyrus)
        roots: &[both("https://{host}/dav/")],
        login: "the Cyrus user name",
        settings: &[],
        notes: &[
            "refuses a UID that another calendar of the same user holds; the item's error says so",
        ],
        tested_here: true,
        unsupported: None,
    },
    // Self-hosted servers not run here.
    Preset {
        name: "nextcloud",
        aliases: &[],
        server: "Nextcloud",
        // Nextcloud's user manual (sync_android), help.nextcloud.com/t/74923; the original's preset
        roots: &[both("https://{host}/remote.php/dav/")],
        login: "the Nextcloud user name (an app password if two-factor login is on)",
        settings: &[],
        notes: &[
            "in a folder (https://HOST/nextcloud/): --host HOST/nextcloud",
            "its trash bin refuses a new item with the UID of a deleted one until emptied",
        ],
        tested_here: false,
        unsupported: None,
    },
    Preset {
        name: "owncloud",
        aliases: &[],
        server: "ownCloud",
        // ownCloud: the same sabre/dav endpoint as Nextcloud (remote.php/dav)
        roots: &[both("https://{host}/remote.php/dav/")],
        login: "the ownCloud user name",
        settings: &[],
        notes: &["in a folder (https://HOST/owncloud/): --host HOST/owncloud"],
        tested_here: false,
        unsupported: None,
    },
    Preset {
        name: "baikal",
        aliases: &["baïkal"],
        server: "Baïkal",
        // Baïkal's endpoint dav.php (sabre.io/baikal)
        roots: &[both("https://{host}/dav.php/")],
        login: "the Baïkal user name",
        settings: &[],
        notes: &["in a folder (https://HOST/baikal/html/): --host HOST/baikal/html"],
        tested_here: false,
        unsupported: None,
    },
    Preset {
        name: "stalwart",
        aliases: &[],
        server: "Stalwart",
        // https://stalw.art/docs/http/webdav/ (/dav/cal, /dav/card under /dav/)
        roots: &[both("https://{host}/dav/")],
        login: "the Stalwart account name",
        settings: &[],
        notes: &["caps a REPORT's results at 2000; davsync asks for chunk_size (100) at a time"],
        tested_here: false,
        unsupported: None,
    },
    Preset {
        name: "egroupware",
        aliases: &[],
        server: "EGroupware",
        // EGroupware doc/REST-CalDAV-CardDAV/README.md: relative to /egroupware/groupdav.php
        roots: &[both("https://{host}/egroupware/groupdav.php/")],
        login: "the EGroupware user name",
        settings: &[NO_SCHEDULE_AGENT, APPLE_GROUPS],
        notes: &[
            NO_GLOBAL_ID,
            "the original's change-triggered sync is the daemon's `watch` (on by default)",
        ],
        tested_here: false,
        unsupported: None,
    },
    Preset {
        name: "kolab",
        aliases: &[],
        server: "Kolab",
        // The original's Kolab preset (digest §4.5): https://kolab.coreboso.de/iRony/
        roots: &[both("https://{host}/iRony/")],
        login: "the Kolab e-mail address",
        settings: &[Setting {
            key: &keys::TIME_RANGE,
            value: "{ past_days = 31, future_days = 365 }",
            applies: Calendars,
            why: "the original's Kolab preset: 31 days back, 365 ahead",
        }],
        notes: &[
            "the original's X-ALT-DESC mapping both ways (from and to Outlook's RTF body) has \
                  no counterpart",
        ],
        tested_here: false,
        unsupported: None,
    },
    Preset {
        name: "open-xchange",
        aliases: &["ox", "openxchange"],
        server: "Open-Xchange",
        // The original's Open-Xchange preset (digest §4.5): https://HOST/caldav/; /carddav/ beside it
        roots: &split("https://{host}/caldav/", "https://{host}/carddav/"),
        login: "the OX user name",
        settings: &[
            NO_NOTIFICATIONS,
            Setting {
                key: &keys::DUPLICATES,
                value: "\"remove\"",
                applies: Events,
                why: "the original's CleanupDuplicateEvents",
            },
        ],
        notes: &[
            NO_GLOBAL_ID,
            "the original's MapEventColorToCategory has no counterpart",
            "refuses recurring tasks (400); writes lines ending in CR CR LF",
        ],
        tested_here: false,
        unsupported: None,
    },
    Preset {
        name: "synology",
        aliases: &[],
        server: "Synology Calendar and Contacts",
        // https://www.davx5.com/tested-with/synology (Calendar: /caldav/USER, Contacts: /carddav/USER)
        roots: &split(
            "https://{host}:5001/caldav/{user}/",
            "https://{host}:5001/carddav/{user}/",
        ),
        login: "the DSM user name",
        settings: &[],
        notes: &[
            "port 5001 unless --host names another; address books need the Synology Contacts \
             package",
            "answers a calendar-query on an empty calendar with 404",
        ],
        tested_here: false,
        unsupported: None,
    },
    // Hosted services.
    Preset {
        name: "fastmail",
        aliases: &[],
        server: "Fastmail",
        // Fastmail's "server names and ports" help page (cited at utf9k.net/blog/fastmail-caldav)
        roots: &split(
            "https://caldav.fastmail.com/dav/",
            "https://carddav.fastmail.com/dav/",
        ),
        login: "the Fastmail address, with an app password",
        settings: &[NO_SCHEDULE_AGENT, IANA_ZONES, APPLE_GROUPS],
        notes: &[NO_GLOBAL_ID],
        tested_here: false,
        unsupported: None,
    },
    Preset {
        name: "icloud",
        aliases: &["apple"],
        server: "iCloud",
        // The original's iCloud Calendar and iCloud Contacts presets (digest §4.5)
        roots: &split("https://caldav.icloud.com/", "https://contacts.icloud.com/"),
        login: "the Apple Account e-mail address, with an app-specific password",
        settings: &[
            IANA_ZONES,
            APPLE_GROUPS,
            Setting {
                key: &keys::IM,
                value: "\"impp\"",
                applies: Contacts,
                why: "the original's WriteImAsImpp for iCloud",
            },
        ],
        notes: &["answers OPTIONS with 400 or 404; some shared calendars answer 404"],
        tested_here: false,
        unsupported: None,
    },
    Preset {
        name: "posteo",
        aliases: &[],
        server: "Posteo",
        // The original's Posteo preset (digest §4.5): https://posteo.de:8443; CardDAV on 8843 (Posteo help)
        roots: &split("https://posteo.de:8443/", "https://posteo.de:8843/"),
        login: "the Posteo address",
        settings: &[],
        notes: &["calendars on port 8443, address books on 8843"],
        tested_here: false,
        unsupported: None,
    },
    Preset {
        name: "mailbox-org",
        aliases: &["mailbox.org", "mailboxorg"],
        server: "mailbox.org",
        // The original's mailbox.org preset (digest §4.5)
        roots: &[both("https://dav.mailbox.org/")],
        login: "the mailbox.org address",
        settings: &[],
        notes: &[],
        tested_here: false,
        unsupported: None,
    },
    Preset {
        name: "gmx",
        aliases: &[],
        server: "GMX",
        // The original's GMX preset (digest §4.5): https://caldav.gmx.net; CardDAV beside it
        roots: &split("https://caldav.gmx.net/", "https://carddav.gmx.net/"),
        login: "the GMX address",
        settings: &[IANA_ZONES],
        notes: &["refuses Windows zone names; cannot mark a done task as not done"],
        tested_here: false,
        unsupported: None,
    },
    Preset {
        name: "webde",
        aliases: &["web.de", "web-de"],
        server: "WEB.DE",
        // The original's Web.de preset (digest §4.5): https://caldav.web.de; CardDAV beside it
        roots: &split("https://caldav.web.de/", "https://carddav.web.de/"),
        login: "the WEB.DE address",
        settings: &[IANA_ZONES],
        notes: &["the GMX platform: refuses Windows zone names"],
        tested_here: false,
        unsupported: None,
    },
    Preset {
        name: "zoho",
        aliases: &[],
        server: "Zoho Calendar and Contacts",
        // Zoho: help.zoho.com community (calendar.zoho.com/caldav/), Zoho Contacts CardDAV KB
        roots: &split(
            "https://calendar.zoho.com/caldav/",
            "https://contacts.zoho.com/carddav/",
        ),
        login: "the Zoho address",
        settings: &[],
        notes: &[
            "accounts in another data centre use its domain (zoho.eu, zoho.in, …): give --url",
            "caps a multiget at 1000 items; davsync asks for chunk_size (100) at a time",
        ],
        tested_here: false,
        unsupported: None,
    },
    Preset {
        name: "yahoo",
        aliases: &[],
        server: "Yahoo",
        // Yahoo's CalDAV and CardDAV help pages (as the issue gives them)
        roots: &split(
            "https://caldav.calendar.yahoo.com/",
            "https://carddav.address.yahoo.com/",
        ),
        login: "the Yahoo address, with an app password",
        settings: &[],
        notes: &[],
        tested_here: false,
        unsupported: None,
    },
    Preset {
        name: "google",
        aliases: &["gmail"],
        server: "Google Calendar and Contacts",
        // Google's CalDAV API guide (apidata.googleusercontent.com/caldav/v2/CALID/events);
        // the original's OptionTasks.GoogleDavBaseUrl
        roots: &split(
            "https://apidata.googleusercontent.com/caldav/v2/{email}/events/",
            "https://www.googleapis.com/carddav/v1/principals/{email}/lists/default/",
        ),
        login: "the Google address (OAuth 2.0 only)",
        settings: &[
            Setting {
                key: &keys::MAP_ATTENDEES,
                value: "false",
                applies: Calendars,
                why: "the original's Google preset: Google ignores SCHEDULE-AGENT and mails invitations",
            },
            Setting {
                key: &keys::CLASS_PUBLIC_OMIT,
                value: "true",
                applies: Calendars,
                why: "the original's MapSensitivityPublicToDefault for Google",
            },
        ],
        notes: &["Google takes OAuth 2.0 only, no password"],
        tested_here: false,
        unsupported: Some("Google needs OAuth 2.0, which davsync does not do yet"),
    },
];
