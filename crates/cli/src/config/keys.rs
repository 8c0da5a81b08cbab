//! The table of configuration keys: name, type, default, where each is valid and
//! what it means (the entries are in `keys/table.rs`). Parsing takes its defaults
//! and bounds from here, `davsync config keys` prints it, and tests hold the
//! parser's structs, the README and the libraries' own defaults to it.

mod table;

pub(crate) use table::*;

/// Where a key may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// The `[general]` table.
    General,
    /// A `[profiles.NAME]` table.
    Profile,
    /// A store table of type `vdir`.
    Vdir,
    /// A store table of type `caldav`.
    Caldav,
    /// A store table of type `carddav`.
    Carddav,
}

impl Place {
    /// Its name in `davsync config keys` and the README.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Place::General => "general",
            Place::Profile => "profile",
            Place::Vdir => "vdir",
            Place::Caldav => "caldav",
            Place::Carddav => "carddav",
        }
    }
}

/// What a key's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueType {
    /// A file or folder: `~` and paths relative to the configuration file's
    /// folder are resolved.
    Path,
    /// Any string.
    String,
    /// An `http://` or `https://` URL.
    Url,
    /// `true` or `false`.
    Bool,
    /// An integer within bounds (both included).
    Int {
        /// The smallest value allowed.
        min: i64,
        /// The largest value allowed.
        max: i64,
    },
    /// One of a few strings.
    OneOf(&'static [&'static str]),
    /// `false`, `true` or `{ past_days = N, future_days = M }`.
    TimeRange {
        /// The largest number of days either way.
        max_days: u32,
    },
    /// A duration (`"30s"`, `"15m"`, `"1h"`, `"1d"`) or `"off"`.
    Duration,
    /// An inline table describing a store.
    Store,
    /// An array of tables (`[[profiles.NAME.KEY]]` entries).
    Tables,
}

impl ValueType {
    /// The type's name in `davsync config keys` and the README.
    pub(crate) fn name(self) -> String {
        match self {
            ValueType::Path => "path".into(),
            ValueType::String | ValueType::OneOf(_) => "string".into(),
            ValueType::Url => "URL".into(),
            ValueType::Bool => "boolean".into(),
            ValueType::Int { min, max } => format!("integer, {min} to {max}"),
            ValueType::TimeRange { .. } => "boolean or table".into(),
            ValueType::Duration => "duration or \"off\"".into(),
            ValueType::Store => "store table".into(),
            ValueType::Tables => "array of tables".into(),
        }
    }
}

/// A key's value when the file does not give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DefaultValue {
    /// The key must be given.
    Required,
    /// Nothing: the feature is off, or the value is empty.
    None,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string.
    Str(&'static str),
    /// The platform's data folder (`$XDG_DATA_HOME/davsync` on Linux).
    DataDir,
    /// A time range, for calendars (contacts have none).
    TimeRange {
        /// Days back from today.
        past_days: u32,
        /// Days ahead of today.
        future_days: u32,
    },
}

impl DefaultValue {
    /// The default as the README and `davsync config keys` show it, in TOML
    /// syntax where there is a value.
    pub(crate) fn text(self) -> String {
        match self {
            DefaultValue::Required => "required".into(),
            DefaultValue::None => "none".into(),
            DefaultValue::Bool(b) => b.to_string(),
            DefaultValue::Int(n) => n.to_string(),
            DefaultValue::Str(s) => format!("{s:?}"),
            DefaultValue::DataDir => "$XDG_DATA_HOME/davsync".into(),
            DefaultValue::TimeRange {
                past_days,
                future_days,
            } => format!("{{ past_days = {past_days}, future_days = {future_days} }}"),
        }
    }
}

/// One configuration key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Key {
    /// The key as written in the file.
    pub name: &'static str,
    /// What its value is.
    pub value: ValueType,
    /// Its value when not given.
    pub default: DefaultValue,
    /// The tables it may be written in.
    pub valid_in: &'static [Place],
    /// What it does, in one line (Markdown code spans allowed).
    pub doc: &'static str,
}

impl Key {
    /// The default of an integer key. Panics on any other key: the parser
    /// asks for what the table says, and the unit tests parse every default.
    pub(crate) const fn int_default(&self) -> i64 {
        match self.default {
            DefaultValue::Int(n) => n,
            _ => panic!("not an integer key with a default"),
        }
    }

    /// The bounds of an integer key (panics on any other key, as above).
    pub(crate) const fn bounds(&self) -> (i64, i64) {
        match self.value {
            ValueType::Int { min, max } => (min, max),
            _ => panic!("not an integer key"),
        }
    }

    /// The default of a boolean key (panics on any other key, as above).
    pub(crate) const fn bool_default(&self) -> bool {
        match self.default {
            DefaultValue::Bool(b) => b,
            _ => panic!("not a boolean key"),
        }
    }

    /// The default of a string key (panics on any other key, as above).
    pub(crate) const fn str_default(&self) -> &'static str {
        match self.default {
            DefaultValue::Str(s) => s,
            _ => panic!("not a string key with a default"),
        }
    }

    /// Whether the key may be written in `place`.
    pub(crate) fn valid_in(&self, place: Place) -> bool {
        self.valid_in.contains(&place)
    }

    /// The places as one string: `profile`, `caldav, carddav`.
    pub(crate) fn places(&self) -> String {
        let names: Vec<&str> = self.valid_in.iter().map(|p| p.name()).collect();
        names.join(", ")
    }

    /// The doc line, followed by the allowed values of a key that takes one of a
    /// few strings (`code` formats each value).
    pub(crate) fn full_doc(&self, code: impl Fn(&str) -> String) -> String {
        match self.value {
            ValueType::OneOf(values) => {
                let values: Vec<String> = values.iter().map(|v| code(v)).collect();
                format!("{} (one of {})", self.doc, values.join(", "))
            }
            _ => self.doc.to_string(),
        }
    }
}

/// The key named `name` that may be written in `place`.
pub(crate) fn find(name: &str, place: Place) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name && k.valid_in(place))
}

#[cfg(test)]
mod tests;
