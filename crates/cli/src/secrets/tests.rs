//! Tests of `secrets.rs`.

use super::*;

#[test]
fn messages_name_the_keys_the_source_was_given_with() {
    let var = "DAVSYNC_TEST_NO_SUCH_PROXY_PASSWORD";
    let env = PasswordSource::Env(var.into());
    let err = fetch(&env, KeyNames::PROXY).unwrap_err().to_string();
    assert!(err.contains("(proxy_password_env)"), "{err}");
    let err = fetch(&env, KeyNames::SERVER).unwrap_err().to_string();
    assert!(
        err.contains("(password_env)") && !err.contains("proxy"),
        "{err}"
    );
    let command = PasswordSource::Command("pass show x".into());
    assert_eq!(
        command.describe(KeyNames::PROXY),
        "proxy_password_command `pass show x`"
    );
    assert_eq!(
        command.describe(KeyNames::OPTIONS),
        "--password-command `pass show x`"
    );
    let err = PasswordSource::from_keys(
        Some("x".into()),
        false,
        Some("V".into()),
        None,
        "u@h",
        KeyNames::PROXY,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        err,
        "only one of proxy_password_command, proxy_password_keyring, proxy_password_env and \
             proxy_password may be set, but proxy_password_command, proxy_password_env are"
    );
    let err = PasswordSource::from_keys(
        None,
        false,
        Some(String::new()),
        None,
        "u@h",
        KeyNames::OPTIONS,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(err, "--password-env is empty");
}

#[test]
fn secret_is_redacted() {
    let secret = Secret::new("s3cret-value".to_string());
    assert_eq!(format!("{secret:?}"), "<redacted>");
    assert_eq!(format!("{secret}"), "<redacted>");
    assert_eq!(secret.expose(), "s3cret-value");
    let source = PasswordSource::Plain(secret);
    let debug = format!("{source:?}");
    assert!(!debug.contains("s3cret-value"), "{debug}");
    assert!(!source.describe(KeyNames::SERVER).contains("s3cret-value"));
}

#[test]
fn none_given_is_none() {
    assert!(
        PasswordSource::from_keys(None, false, None, None, "u@h", KeyNames::SERVER)
            .unwrap()
            .is_none()
    );
}

#[test]
fn several_given_is_an_error_naming_them() {
    let err = PasswordSource::from_keys(
        Some("pass show x".into()),
        false,
        Some("VAR".into()),
        None,
        "u@h",
        KeyNames::SERVER,
    )
    .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("but password_command, password_env are"),
        "{message}"
    );

    let err = PasswordSource::from_keys(
        None,
        true,
        None,
        Some("pw-in-file".into()),
        "u@h",
        KeyNames::SERVER,
    )
    .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("but password_keyring, password are"),
        "{message}"
    );
    assert!(!message.contains("pw-in-file"), "{message}");
}

#[test]
fn empty_keys_are_errors() {
    let err = PasswordSource::from_keys(
        Some("  ".into()),
        false,
        None,
        None,
        "u@h",
        KeyNames::SERVER,
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "password_command is empty");
    let err = PasswordSource::from_keys(
        None,
        false,
        Some(String::new()),
        None,
        "u@h",
        KeyNames::SERVER,
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "password_env is empty");
}

#[test]
fn plain_is_plain() {
    let source = PasswordSource::from_keys(
        None,
        false,
        None,
        Some("pw-in-file".into()),
        "u@h",
        KeyNames::SERVER,
    )
    .unwrap()
    .unwrap();
    assert!(source.is_plain());
    assert_eq!(
        fetch(&source, KeyNames::SERVER).unwrap().expose(),
        "pw-in-file"
    );
    let keyring = PasswordSource::from_keys(
        None,
        true,
        None,
        None,
        "alice@dav.example.org",
        KeyNames::SERVER,
    )
    .unwrap()
    .unwrap();
    assert!(!keyring.is_plain());
    match &keyring {
        PasswordSource::Keyring { service, user } => {
            assert_eq!(service, "davsync");
            assert_eq!(user, "alice@dav.example.org");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn env_set() {
    let var = "DAVSYNC_SECRETS_TEST_ENV_SET";
    let source =
        PasswordSource::from_keys(None, false, Some(var.into()), None, "u@h", KeyNames::SERVER)
            .unwrap()
            .unwrap();
    assert!(!source.is_plain());
    assert_eq!(
        source.describe(KeyNames::SERVER),
        format!("the environment variable {var}")
    );
    assert_eq!(
        env_secret(var, Some("env-password".into()))
            .unwrap()
            .expose(),
        "env-password"
    );
}

#[test]
fn env_unset() {
    // A name no environment has: `fetch` looks it up for real.
    let var = "DAVSYNC_SECRETS_TEST_ENV_UNSET_7f3a9c";
    let err = fetch(&PasswordSource::Env(var.into()), KeyNames::SERVER).unwrap_err();
    assert!(matches!(err, SecretError::EnvUnset { .. }), "{err:?}");
    assert!(err.to_string().contains(var), "{err}");
    assert!(err.to_string().contains("is not set"), "{err}");
}

#[test]
fn env_empty_or_not_unicode() {
    let var = "DAVSYNC_SECRETS_TEST_ENV_EMPTY";
    let err = env_secret(var, Some("".into())).unwrap_err();
    assert!(matches!(err, SecretError::EnvEmpty { .. }), "{err:?}");
    assert!(err.to_string().contains(var), "{err}");
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        let err =
            env_secret(var, Some(std::ffi::OsString::from_vec(vec![0xff, 0xfe]))).unwrap_err();
        assert!(matches!(err, SecretError::EnvNotUnicode { .. }), "{err:?}");
    }
}

#[test]
fn keyring_without_a_service_is_a_clear_error() {
    // There is no Secret Service on the test machines; where there is one,
    // this entry does not exist. Either way: an error, not a panic.
    let user = "nobody-davsync-test@dav.example.invalid";
    let source = PasswordSource::from_keys(None, true, None, None, user, KeyNames::SERVER)
        .unwrap()
        .unwrap();
    let err = fetch(&source, KeyNames::SERVER).unwrap_err();
    assert!(matches!(err, SecretError::Keyring { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("system keyring"), "{message}");
    assert!(message.contains(user), "{message}");
    assert!(message.contains("\"davsync\""), "{message}");
    assert!(!message.to_lowercase().contains("hunter2"), "{message}");
}
