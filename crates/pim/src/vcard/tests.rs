use super::*;
use proptest::prelude::*;

const V3: &str = "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iPhone OS 17.0//EN\r\nN:Doe;Ann;;;\r\nFN:Ann Doe\r\nitem1.EMAIL;type=INTERNET;type=pref:ann@example.org\r\nitem1.X-ABLabel:_$!<Other>!$_\r\nTEL;type=CELL;type=VOICE,pref:+49 170 1\r\nX-ANNIVERSARY:2010-06-01\r\nX-GENDER:Female\r\nPHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRg\r\n ABAQ==\r\nLOGO;VALUE=uri:https://example.org/l.png\r\nUID:u1\r\nEND:VCARD\r\n";

const V4: &str = "BEGIN:VCARD\r\nVERSION:4.0\r\nPRODID:-//Apple Inc.//iPhone OS 17.0//EN\r\nN:Doe;Ann;;;\r\nFN:Ann Doe\r\nitem1.EMAIL;type=INTERNET;PREF=1:ann@example.org\r\nitem1.X-ABLabel:_$!<Other>!$_\r\nTEL;type=CELL;type=VOICE;PREF=1:+49 170 1\r\nANNIVERSARY:2010-06-01\r\nGENDER:F\r\nPHOTO:data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ==\r\nLOGO:https://example.org/l.png\r\nUID:u1\r\nEND:VCARD\r\n";

fn item(body: &str) -> Item {
    Item::parse(body).unwrap()
}

#[test]
fn a_3_0_card_becomes_4_0_by_the_rfc_6350_rules() {
    let v4 = item(V3).with_vcard_version(VcardVersion::V4).unwrap();
    assert_eq!(v4.body(), V4);
    assert_eq!(v4.vcard_version(), Some(VcardVersion::V4));
    // Idempotent.
    assert_eq!(v4.with_vcard_version(VcardVersion::V4).unwrap().body(), V4);
}

#[test]
fn a_4_0_card_becomes_3_0_and_back_byte_for_byte() {
    let v3 = item(V4).with_vcard_version(VcardVersion::V3).unwrap();
    let body = v3.body().replace("\r\n ", "");
    assert!(body.contains("item1.EMAIL;type=INTERNET;TYPE=pref:ann@example.org\r\n"));
    assert!(body.contains("X-ANNIVERSARY:2010-06-01\r\nX-GENDER:Female\r\n"));
    assert!(body.contains("PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQ==\r\n"));
    assert!(body.contains("LOGO;VALUE=uri:https://example.org/l.png\r\n"));
    assert_eq!(
        v3.with_vcard_version(VcardVersion::V3).unwrap().body(),
        v3.body()
    );
    assert_eq!(v3.with_vcard_version(VcardVersion::V4).unwrap().body(), V4);
}

#[test]
fn n_is_added_for_3_0_and_an_empty_one_left_out_of_4_0() {
    let v4 = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:x\r\nFN:ACME\r\nEND:VCARD\r\n";
    let v3 = item(v4).with_vcard_version(VcardVersion::V3).unwrap();
    assert!(v3.body().contains("FN:ACME\r\nN:;;;;\r\nEND:VCARD"));
    assert_eq!(v3.with_vcard_version(VcardVersion::V4).unwrap().body(), v4);
}

#[test]
fn a_3_0_card_without_fn_gets_one_from_n() {
    let v3 = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:x\r\nN:Doe\\;Smith;Ann;B.;Dr.;\r\nEND:VCARD\r\n";
    let v4 = item(v3).with_vcard_version(VcardVersion::V4).unwrap();
    assert!(
        v4.body()
            .contains("\r\nFN:Dr. Ann B. Doe\\;Smith\r\nEND:VCARD"),
        "{}",
        v4.body()
    );
    let back = v4.with_vcard_version(VcardVersion::V3).unwrap();
    assert_eq!(
        back.with_vcard_version(VcardVersion::V4).unwrap().body(),
        v4.body()
    );
}

#[test]
fn groups_take_the_shape_of_the_version() {
    let v4 = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:g\r\nKIND:group\r\nFN:Team\r\nMEMBER:urn:uuid:a\r\nMEMBER;CN=Bob:mailto:bob@example.org\r\nEND:VCARD\r\n";
    let v3 = item(v4).with_vcard_version(VcardVersion::V3).unwrap();
    assert_eq!(v3.group_shape(), Some(GroupShape::Apple));
    assert!(
        v3.body()
            .contains("X-ADDRESSBOOKSERVER-MEMBER;CN=Bob:mailto:bob@example.org")
    );
    assert_eq!(v3.with_vcard_version(VcardVersion::V4).unwrap().body(), v4);
}

#[test]
fn rfc_6868_parameter_values() {
    assert_eq!(param_decode("a^nb^'c^'^^d^x"), "a\nb\"c\"^d^x");
    assert_eq!(param_encode("a\nb\"c\"^d"), "a^nb^'c^'^^d");
    assert_eq!(param_encode("Doe, Ann"), "\"Doe, Ann\"");
    for text in ["x^n", "\"quoted\"\nline", "plain"] {
        assert_eq!(param_decode(param_encode(text).trim_matches('"')), text);
    }
}

#[test]
fn other_items_are_left_alone() {
    let weird = V3.replace("VERSION:3.0", "VERSION:2.1");
    let card = item(&weird);
    assert_eq!(card.vcard_version(), None);
    assert_eq!(
        card.with_vcard_version(VcardVersion::V4).unwrap().body(),
        weird
    );
}

/// Folds as vCard producers do (75 octets, CRLF).
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

/// A generated card's lines in 4.0 form (`v4`) or 3.0 form.
fn arb_lines(v4: bool) -> impl Strategy<Value = Vec<String>> {
    let pref = if v4 { "PREF=1" } else { "TYPE=pref" };
    let tel = prop_oneof![
        Just("TEL;TYPE=cell:+1 555 0100".to_string()),
        Just(format!("TEL;TYPE=work;{pref}:+1 555 0101")),
        Just(format!("item2.TEL;{pref};TYPE=home:+1 555 0102")),
    ];
    let email = prop_oneof![
        Just("EMAIL:a@example.org".to_string()),
        Just(format!("EMAIL;TYPE=INTERNET;{pref}:b@example.org")),
        Just("item1.EMAIL;TYPE=INTERNET:c@example.org".to_string()),
    ];
    let photo = if v4 {
        prop_oneof![
            "[A-Za-z0-9+/]{10,200}".prop_map(|d| format!("PHOTO:data:image/jpeg;base64,{d}")),
            Just("PHOTO:https://example.org/p.jpg".to_string()),
            "[A-Za-z0-9+/]{10,60}".prop_map(|d| format!("SOUND:data:audio/ogg;base64,{d}")),
        ]
        .boxed()
    } else {
        prop_oneof![
            "[A-Za-z0-9+/]{10,200}".prop_map(|d| format!("PHOTO;ENCODING=b;TYPE=JPEG:{d}")),
            Just("PHOTO;VALUE=uri:https://example.org/p.jpg".to_string()),
            "[A-Za-z0-9+/]{10,60}".prop_map(|d| format!("SOUND;ENCODING=b;TYPE=OGG:{d}")),
        ]
        .boxed()
    };
    let special = if v4 {
        prop_oneof![
            Just("ANNIVERSARY:20100601".to_string()),
            Just("GENDER:M".to_string()),
            Just("GENDER:O;other".to_string()),
            Just("KIND:individual".to_string()),
        ]
        .boxed()
    } else {
        prop_oneof![
            Just("X-ANNIVERSARY:2010-06-01".to_string()),
            Just("X-GENDER:Male".to_string()),
            Just("X-ADDRESSBOOKSERVER-KIND:individual".to_string()),
        ]
        .boxed()
    };
    let other = prop_oneof![
        "[a-zA-Z ,äö]{0,90}".prop_map(|s| format!("NOTE:{}", crate::escape_text(&s))),
        Just("item1.X-ABLabel:_$!<HomePage>!$_".to_string()),
        Just("X-SOCIALPROFILE;type=twitter:https://twitter.com/x".to_string()),
        Just("ADR;TYPE=home:;;Main St 1;Town;;12345;".to_string()),
        Just("ORG:ACME;Sales".to_string()),
    ];
    (
        prop::collection::vec(tel, 0..3),
        prop::collection::vec(email, 0..3),
        prop::option::of(photo),
        prop::collection::vec(special, 0..2),
        prop::collection::vec(other, 0..4),
        any::<bool>(),
    )
        .prop_map(move |(tels, emails, photo, special, other, n)| {
            let mut lines = vec![format!("VERSION:{}", if v4 { "4.0" } else { "3.0" })];
            lines.push("FN:Ann Doe".into());
            if n || !v4 {
                lines.push("N:Doe;Ann;;;".into());
            }
            lines.extend(tels);
            lines.extend(emails);
            lines.extend(photo);
            lines.extend(special);
            lines.extend(other);
            lines.push("UID:gen-1".into());
            lines
        })
}

fn card(lines: &[String]) -> Item {
    let mut body = String::from("BEGIN:VCARD\r\n");
    for line in lines {
        body.push_str(&fold(line));
    }
    body.push_str("END:VCARD\r\n");
    Item::parse(body).expect("a generated card parses")
}

/// Lines no version rule owns.
fn unowned(item: &Item) -> Vec<String> {
    item.body()
        .replace("\r\n ", "\u{0}")
        .split("\r\n")
        .filter(|l| {
            let name = l.split([';', ':']).next().unwrap_or("");
            let name = name.rsplit('.').next().unwrap_or(name).to_ascii_uppercase();
            ![
                "VERSION",
                "TEL",
                "EMAIL",
                "PHOTO",
                "SOUND",
                "ANNIVERSARY",
                "X-ANNIVERSARY",
                "GENDER",
                "X-GENDER",
                "KIND",
                "X-ADDRESSBOOKSERVER-KIND",
                "N",
            ]
            .contains(&name.as_str())
        })
        .map(str::to_string)
        .collect()
}

proptest! {
    #[test]
    fn a_4_0_card_round_trips_through_3_0(lines in arb_lines(true)) {
        let v4 = card(&lines);
        let v3 = v4.with_vcard_version(VcardVersion::V3).unwrap();
        prop_assert_eq!(v3.vcard_version(), Some(VcardVersion::V3));
        prop_assert_eq!(v3.with_vcard_version(VcardVersion::V3).unwrap().into_body(), v3.body());
        prop_assert_eq!(v3.with_vcard_version(VcardVersion::V4).unwrap().into_body(), v4.body());
        prop_assert_eq!(unowned(&v3), unowned(&v4));
    }

    #[test]
    fn a_3_0_card_converted_is_stable_after_one_round(lines in arb_lines(false)) {
        let v3 = card(&lines);
        let v4 = v3.with_vcard_version(VcardVersion::V4).unwrap();
        prop_assert_eq!(v4.with_vcard_version(VcardVersion::V4).unwrap().into_body(), v4.body());
        prop_assert_eq!(unowned(&v3), unowned(&v4));
        let again = v4.with_vcard_version(VcardVersion::V3).unwrap();
        prop_assert_eq!(again.with_vcard_version(VcardVersion::V4).unwrap().into_body(), v4.body());
        prop_assert_eq!(again.content_lines().len(), v3.content_lines().len());
    }
}
