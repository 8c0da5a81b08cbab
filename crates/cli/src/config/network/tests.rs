//! Tests of the network keys of server stores: values, defaults, errors.

use super::*;
use crate::config::Config;
use crate::config::source::home_dir;
use crate::config::store::ResolvedStore;
use crate::config::tests::error_of;
use std::path::Path;

/// A tasks profile whose server store table ends with `extra` (its line is 4).
fn dav_profile(extra: &str) -> String {
    format!(
        "[profiles.cal]\ncontent = \"tasks\"\nlocal = {{ type = \"vdir\", path = \"tasks\" }}\n\
         server = {{ type = \"caldav\", url = \"https://dav.example.org/alice/tasks/\", \
         username = \"alice\"{extra} }}\n"
    )
}

fn network_of_profile(extra: &str) -> NetworkConfig {
    let cfg = Config::parse(&dav_profile(extra), Path::new("/x/c.toml")).unwrap();
    let ResolvedStore::Dav(dav) = &cfg.profiles[0].server else {
        panic!("dav expected")
    };
    dav.network.clone()
}

const FINGERPRINT: &str = "B0:FC:AE:5C:F4:3B:CA:98:A3:57:5F:2A:B6:25:E0:87:\
                           99:4E:59:33:6A:A2:2B:59:E7:58:89:71:07:DF:0F:DC";

#[test]
fn server_store_network_keys() {
    let source = format!(
        r#"
[profiles.cal]
content = "events"
local = {{ type = "vdir", path = "cal" }}

[profiles.cal.server]
type = "caldav"
url = "https://dav.example.org:8443/alice/cal/"
username = "alice"
password_env = "DAV_PW"
close_connection = true
preemptive_auth = false
force_basic_auth = true
retries = 0
accept_invalid_xml_chars = true
lenient_headers = true
proxy = "http://proxy.example.org:3128"
proxy_username = "bob"
proxy_password_env = "PROXY_PW"
tls_ca_file = "certs/ca.pem"
tls_client_cert = "~/client.pem"
tls_client_key = "/etc/davsync/client.key"
tls_fingerprint = "{FINGERPRINT}"
tls_insecure = false
"#
    );
    let cfg = Config::parse(&source, Path::new("/etc/davsync/config.toml")).unwrap();
    let ResolvedStore::Dav(dav) = &cfg.profiles[0].server else {
        panic!("dav expected")
    };
    let net = &dav.network;
    assert!(net.close_connection);
    assert_eq!(
        net.auth,
        davsync_dav::AuthOptions {
            preemptive: false,
            force_basic: true
        }
    );
    assert_eq!(net.retries, 0);
    assert!(net.accept_invalid_xml_chars && net.lenient_headers);
    let ProxyConfig::Url {
        url,
        username,
        password,
    } = &net.proxy
    else {
        panic!("proxy URL expected: {:?}", net.proxy)
    };
    assert_eq!(
        (url.as_str(), username.as_str()),
        ("http://proxy.example.org:3128", "bob")
    );
    assert!(matches!(password, Some(PasswordSource::Env(v)) if v == "PROXY_PW"));
    assert_eq!(
        net.tls.ca_file.as_deref(),
        Some(Path::new("/etc/davsync/certs/ca.pem"))
    );
    let (cert, key) = net.tls.client_cert.clone().unwrap();
    assert_eq!(cert, home_dir().join("client.pem"));
    assert_eq!(key, Path::new("/etc/davsync/client.key"));
    assert_eq!(
        net.tls.fingerprint,
        davsync_dav::tls::parse_fingerprint(&FINGERPRINT.replace(' ', ""))
    );
    assert!(net.tls.fingerprint.is_some() && !net.tls.insecure);
    // The server's own login is untouched.
    assert!(matches!(&dav.password, Some(PasswordSource::Env(v)) if v == "DAV_PW"));
    assert_eq!(dav.timeout.as_secs(), 90);
}

#[test]
fn server_store_network_defaults_and_other_forms() {
    let net = network_of_profile("");
    assert!(!net.close_connection && !net.accept_invalid_xml_chars && !net.lenient_headers);
    assert_eq!(net.auth, davsync_dav::AuthOptions::default());
    assert!(net.auth.preemptive && !net.auth.force_basic);
    assert_eq!(net.retries, 3);
    assert!(matches!(net.proxy, ProxyConfig::System));
    assert_eq!(net.tls, davsync_dav::tls::TlsOptions::default());

    assert!(matches!(
        network_of_profile(", proxy = \"none\"").proxy,
        ProxyConfig::None
    ));
    assert!(matches!(
        network_of_profile(", proxy = \"system\"").proxy,
        ProxyConfig::System
    ));
    // Keyring user <proxy_username>@<proxy host>.
    let net = network_of_profile(
        ", proxy = \"https://proxy.example.org\", proxy_username = \"bob\", \
         proxy_password_keyring = true",
    );
    let ProxyConfig::Url { password, .. } = &net.proxy else {
        panic!("proxy URL expected")
    };
    assert!(
        matches!(password, Some(PasswordSource::Keyring { user, .. }) if user == "bob@proxy.example.org"),
        "{password:?}"
    );
    // A user name without a password key: an empty password.
    let net =
        network_of_profile(", proxy = \"http://proxy.example.org:3128\", proxy_username = \"bob\"");
    assert!(matches!(
        &net.proxy,
        ProxyConfig::Url { username, password: None, .. } if username == "bob"
    ));
    let net = network_of_profile(", proxy = \"http://proxy.example.org:3128\"");
    assert!(matches!(
        &net.proxy,
        ProxyConfig::Url { username, password: None, .. } if username.is_empty()
    ));
    // The 64-digit form, and tls_insecure alone.
    let hex = FINGERPRINT.replace([':', ' '], "").to_lowercase();
    let net = network_of_profile(&format!(", tls_fingerprint = \"{hex}\""));
    assert_eq!(
        net.tls.fingerprint,
        davsync_dav::tls::parse_fingerprint(&hex)
    );
    assert!(network_of_profile(", tls_insecure = true").tls.insecure);
    // A CA file relative to the configuration file.
    let net = network_of_profile(", tls_ca_file = \"ca.pem\"");
    assert_eq!(net.tls.ca_file.as_deref(), Some(Path::new("/x/ca.pem")));
}

#[test]
fn server_store_network_errors_name_the_key() {
    let proxy = ", proxy = \"http://proxy.example.org:3128\"";
    let cases: Vec<(String, &str, Vec<&str>)> = vec![
        (", retries = 11".into(), "retries", vec!["from 0 to 10"]),
        (", retries = -1".into(), "retries", vec!["from 0 to 10"]),
        (
            ", proxy = \"socks5://p:1080\"".into(),
            "proxy",
            vec!["\"system\"", "\"none\"", "http://"],
        ),
        (
            ", proxy = \"proxy.example.org:3128\"".into(),
            "proxy",
            vec!["\"system\"", "\"none\""],
        ),
        (
            ", proxy = \"http://bob:s3cret@proxy.example.org:3128\"".into(),
            "proxy",
            vec!["proxy_username", "proxy_password_"],
        ),
        (
            ", proxy_password_env = \"P\"".into(),
            "proxy_password_env",
            vec!["`proxy`"],
        ),
        (
            ", proxy = \"none\", proxy_username = \"bob\"".into(),
            "proxy_username",
            vec!["`proxy`"],
        ),
        (
            ", proxy_password_keyring = true".into(),
            "proxy_password_keyring",
            vec!["`proxy`"],
        ),
        (
            format!(
                "{proxy}, proxy_username = \"bob\", proxy_password_env = \"P\", proxy_password = \"x\""
            ),
            "proxy_password_env",
            vec![
                "only one of proxy_password_command",
                "proxy_password_env, proxy_password are",
            ],
        ),
        (
            format!("{proxy}, proxy_username = \"bob\", proxy_password_command = \"\""),
            "proxy_password_command",
            vec!["proxy_password_command is empty"],
        ),
        (
            format!("{proxy}, proxy_password_env = \"P\""),
            "proxy_password_env",
            vec!["`proxy_username`"],
        ),
        (
            ", tls_client_cert = \"c.pem\"".into(),
            "tls_client_cert",
            vec!["tls_client_key"],
        ),
        (
            ", tls_client_key = \"k.pem\"".into(),
            "tls_client_key",
            vec!["tls_client_cert"],
        ),
        (", tls_ca_file = \" \"".into(), "tls_ca_file", vec!["empty"]),
        (
            ", tls_fingerprint = \"AB:CD\"".into(),
            "tls_fingerprint",
            vec![
                "AB:CD:",
                "64 hex digits",
                "openssl s_client -connect dav.example.org:443 </dev/null | openssl x509 -noout -fingerprint -sha256",
            ],
        ),
        (
            format!(", tls_insecure = true, tls_fingerprint = \"{FINGERPRINT}\""),
            "tls_insecure",
            vec!["contradicts tls_fingerprint"],
        ),
        (
            ", tls_ca_file = \"ca.pem\", tls_insecure = true".into(),
            "tls_insecure",
            vec!["contradicts tls_ca_file"],
        ),
        (
            ", close_connection = \"yes\"".into(),
            "close_connection",
            vec![],
        ),
    ];
    for (extra, key, says) in cases {
        let e = error_of(&dav_profile(&extra));
        assert!(
            e.contains(&format!("key `profiles.cal.server.{key}`")) && e.contains("line 4"),
            "{extra}: {e}"
        );
        for word in says {
            assert!(e.contains(word), "{extra}: {e} (expected {word:?})");
        }
        assert!(!e.contains("s3cret"), "{e}");
    }
}
