use super::*;
use proptest::prelude::*;
use std::collections::HashMap;

/// A directory over a fixed address book: resource name → (UID, FN, e-mail);
/// `local_only`: contacts of the folder that are not on the server.
#[derive(Default)]
struct Book {
    on_server: Vec<(String, String, Option<String>, Option<String>)>,
    local_only: HashMap<String, (Option<String>, Option<String>)>,
}

impl Book {
    fn new(entries: &[(&str, &str, &str, &str)]) -> Book {
        Book {
            on_server: entries
                .iter()
                .map(|(n, u, f, e)| {
                    (
                        n.to_string(),
                        u.to_string(),
                        Some(f.to_string()),
                        Some(e.to_string()),
                    )
                })
                .collect(),
            local_only: HashMap::new(),
        }
    }
}

impl MemberDirectory for Book {
    fn uid_at(&self, name: &str) -> Option<String> {
        self.on_server
            .iter()
            .find(|(n, ..)| n == name)
            .map(|(_, u, ..)| u.clone())
    }

    fn card_of(&self, uid: &str) -> Option<CardRef> {
        if let Some((n, _, f, e)) = self.on_server.iter().find(|(_, u, ..)| u == uid) {
            return Some(CardRef {
                name: Some(n.clone()),
                full_name: f.clone(),
                email: e.clone(),
            });
        }
        self.local_only.get(uid).map(|(f, e)| CardRef {
            name: None,
            full_name: f.clone(),
            email: e.clone(),
        })
    }
}

/// The unfolded lines, each ended by CRLF.
fn logical(body: &str) -> String {
    lines::unfold(body)
        .iter()
        .map(|l| format!("{}\r\n", l.logical))
        .collect()
}

const SOGO: &str = "BEGIN:VLIST\r\nVERSION:1.0\r\nUID:list-1\r\nFN:Simpsons\r\nNICKNAME:nick\r\n\
DESCRIPTION:a list\\, with a comma\r\nCARD;FN=Homer Simpson;EMAIL=homer@example.com:m1.vcf\r\n\
CARD;EMAIL=marge@example.com;FN=Marge:m2.vcf\r\n\
X-ADDRESSBOOKSERVER-MEMBER;CN=Out Side:mailto:out@example.org\r\nX-CUSTOM:kept\r\nEND:VLIST\r\n";

fn book() -> Book {
    Book::new(&[
        ("m1.vcf", "uid-homer", "Homer Simpson", "homer@example.com"),
        ("m2.vcf", "uid-marge", "Marge", "marge@example.com"),
        ("m3.vcf", "uid-bart", "Bart", "bart@example.com"),
    ])
}

#[test]
fn a_sogo_list_becomes_a_vcard4_group_with_resolved_members() {
    let list = Item::parse(SOGO).unwrap();
    let group = list
        .list_to_group(GroupShape::Vcard4, &book(), Dangling::Keep)
        .unwrap();
    assert_eq!(group.kind(), ItemKind::Contact);
    assert_eq!(group.group_shape(), Some(GroupShape::Vcard4));
    assert_eq!(group.uid(), "list-1");
    assert_eq!(group.summary(), Some("Simpsons"));
    let body = logical(group.body());
    for line in [
        "BEGIN:VCARD",
        "VERSION:4.0",
        "KIND:group",
        "MEMBER:urn:uuid:uid-homer",
        "MEMBER:urn:uuid:uid-marge",
        "MEMBER;CN=Out Side:mailto:out@example.org",
        "NOTE:a list\\, with a comma",
        "NICKNAME:nick",
        "X-CUSTOM:kept",
        "END:VCARD",
    ] {
        assert!(body.contains(&format!("{line}\r\n")), "{line} in\n{body}");
    }
    assert!(!body.contains("CARD;"), "{body}");
    assert_eq!(
        group.group_members(),
        [
            crate::Member::Contact("uid-homer".into()),
            crate::Member::Contact("uid-marge".into()),
            crate::Member::Mailto {
                email: "out@example.org".into(),
                name: Some("Out Side".into())
            }
        ]
    );
}

#[test]
fn group_and_list_round_trip_in_both_shapes() {
    let list = Item::parse(SOGO).unwrap();
    for shape in [GroupShape::Vcard4, GroupShape::Apple] {
        let group = list.list_to_group(shape, &book(), Dangling::Keep).unwrap();
        assert_eq!(group.group_shape(), Some(shape));
        if shape == GroupShape::Apple {
            assert!(group.body().contains("VERSION:3.0\r\n"));
            assert!(group.body().contains("N:;;;;\r\n"));
        }
        // Back with the server's copy: the list, even its CARD lines' order
        // of parameters.
        let back = group
            .group_to_list(&book(), Some(&list), Dangling::Keep)
            .unwrap();
        assert_eq!(back.kind(), ItemKind::List);
        assert_eq!(back.content_hash(), list.content_hash(), "{}", back.body());
        // Without it: the same members, written as SOGo writes them.
        let fresh = group.group_to_list(&book(), None, Dangling::Keep).unwrap();
        assert!(
            fresh
                .body()
                .contains("CARD;EMAIL=homer@example.com;FN=Homer Simpson:m1.vcf\r\n")
        );
        let again = fresh.list_to_group(shape, &book(), Dangling::Keep).unwrap();
        assert_eq!(again.content_hash(), group.content_hash());
    }
}

#[test]
fn a_card_naming_no_contact_is_kept_as_mailto_or_dropped() {
    let list = Item::parse(SOGO.replace(":m2.vcf", ":gone.vcf")).unwrap();
    let kept = list
        .list_to_group(GroupShape::Vcard4, &book(), Dangling::Keep)
        .unwrap();
    assert!(
        kept.body()
            .contains("MEMBER;CN=Marge;X-DAVSYNC-CARD=gone.vcf:mailto:marge@example.com\r\n"),
        "{}",
        kept.body()
    );
    let dropped = list
        .list_to_group(GroupShape::Vcard4, &book(), Dangling::Drop)
        .unwrap();
    assert_eq!(dropped.group_members().len(), 2);
    assert!(!dropped.body().contains("marge"));
    // Without an e-mail there is nothing to write to: the line stays, as
    // an X- property, and is a CARD again on the way back.
    let no_mail = Item::parse(SOGO.replace(
        "CARD;EMAIL=marge@example.com;FN=Marge:m2.vcf",
        "CARD;FN=Ghost:gone.vcf",
    ))
    .unwrap();
    let group = no_mail
        .list_to_group(GroupShape::Vcard4, &book(), Dangling::Keep)
        .unwrap();
    assert!(
        group
            .body()
            .contains("X-DAVSYNC-CARD;FN=Ghost:gone.vcf\r\n")
    );
    let mut healed = book();
    healed
        .on_server
        .push(("gone.vcf".into(), "uid-ghost".into(), None, None));
    let back = group.group_to_list(&healed, None, Dangling::Keep).unwrap();
    assert!(
        back.body().contains("CARD;FN=Ghost:gone.vcf\r\n"),
        "{}",
        back.body()
    );
}

const GROUP: &str = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:g1\r\nKIND:group\r\nFN:Team\r\n\
MEMBER:urn:uuid:uid-homer\r\nMEMBER:urn:uuid:uid-new\r\nMEMBER:urn:uuid:uid-elsewhere\r\n\
MEMBER;CN=\"Doe, Ann\":mailto:ann@example.org\r\nNOTE:hello\r\nEND:VCARD\r\n";

#[test]
fn a_member_not_on_the_server_is_an_outside_member_until_it_is() {
    let group = Item::parse(GROUP).unwrap();
    let mut names = book();
    names.local_only.insert(
        "uid-new".into(),
        (Some("New One".into()), Some("new@example.org".into())),
    );
    let list = group.group_to_list(&names, None, Dangling::Keep).unwrap();
    let body = logical(list.body());
    for line in [
        "BEGIN:VLIST",
        "VERSION:1.0",
        "CARD;EMAIL=homer@example.com;FN=Homer Simpson:m1.vcf",
        "X-ADDRESSBOOKSERVER-MEMBER;CN=New One;X-DAVSYNC-UID=uid-new:mailto:new@example.org",
        "X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:uid-elsewhere",
        "X-ADDRESSBOOKSERVER-MEMBER;CN=\"Doe, Ann\":mailto:ann@example.org",
        "DESCRIPTION:hello",
        "END:VLIST",
    ] {
        assert!(body.contains(&format!("{line}\r\n")), "{line} in\n{body}");
    }
    assert!(!body.contains("KIND"), "{body}");
    assert_eq!(list.awaited_members(), ["uid-new", "uid-elsewhere"]);
    assert!(group.awaited_members().is_empty(), "a group awaits nothing");
    // Back: the group as it was.
    let back = list
        .list_to_group(GroupShape::Vcard4, &names, Dangling::Keep)
        .unwrap();
    assert_eq!(back.content_hash(), group.content_hash(), "{}", back.body());
    // Once the contact is on the server, the next write names it.
    names.on_server.push((
        "new.vcf".into(),
        "uid-new".into(),
        Some("New One".into()),
        Some("new@example.org".into()),
    ));
    let list = back
        .group_to_list(&names, Some(&list), Dangling::Keep)
        .unwrap();
    assert!(logical(list.body()).contains("CARD;EMAIL=new@example.org;FN=New One:new.vcf\r\n"));
    assert_eq!(list.awaited_members(), ["uid-elsewhere"]);
    // A member that is no contact at all goes with `drop`.
    let dropped = group.group_to_list(&names, None, Dangling::Drop).unwrap();
    assert!(!dropped.body().contains("uid-elsewhere"));
}

#[test]
fn members_of_deleted_contacts_become_mailto_members_or_go() {
    let group = Item::parse(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:g\r\nFN:Team\r\nN:;;;;\r\n\
         X-ADDRESSBOOKSERVER-KIND:group\r\nitem1.X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:ann\r\n\
         X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:bob\r\nX-ADDRESSBOOKSERVER-MEMBER:urn:uuid:cy\r\n\
         X-ADDRESSBOOKSERVER-MEMBER;CN=Out:mailto:out@example.org\r\nEND:VCARD\r\n",
    )
    .unwrap();
    let gone = |uid: &str| match uid {
        "ann" => Some(CardRef {
            name: None,
            full_name: Some("Ann, A.".into()),
            email: Some("ann@example.org".into()),
        }),
        "cy" => Some(CardRef {
            name: None,
            full_name: Some("Cy".into()),
            email: None,
        }),
        _ => None,
    };
    let kept = group.with_members_gone(&gone, Dangling::Keep).unwrap();
    let body = logical(kept.body());
    assert!(
        body.contains("item1.X-ADDRESSBOOKSERVER-MEMBER;CN=\"Ann, A.\":mailto:ann@example.org\r\n"),
        "{body}"
    );
    // Bob is no deleted contact; Cy has no e-mail to keep him by.
    assert!(
        body.contains("X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:bob\r\n"),
        "{body}"
    );
    assert!(
        body.contains("X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:cy\r\n"),
        "{body}"
    );
    assert_eq!(kept.group_members().len(), 4);
    assert_eq!(kept.with_members_gone(&gone, Dangling::Keep).unwrap(), kept);
    let dropped = group.with_members_gone(&gone, Dangling::Drop).unwrap();
    assert_eq!(
        dropped.group_members(),
        [
            crate::Member::Contact("bob".into()),
            crate::Member::Mailto {
                email: "out@example.org".into(),
                name: Some("Out".into())
            }
        ]
    );
    // Nothing gone: the same item.
    assert_eq!(
        group.with_members_gone(&|_| None, Dangling::Drop).unwrap(),
        group
    );
}

#[test]
fn items_that_are_no_lists_or_groups_stay() {
    let card =
        Item::parse("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c\r\nFN:A\r\nN:A;;;;\r\nEND:VCARD\r\n")
            .unwrap();
    assert_eq!(
        card.group_to_list(&book(), None, Dangling::Keep).unwrap(),
        card
    );
    assert_eq!(
        card.list_to_group(GroupShape::Vcard4, &book(), Dangling::Keep)
            .unwrap(),
        card
    );
    assert!(!card.is_group_or_list());
    assert!(Item::parse(SOGO).unwrap().is_group_or_list());
    assert!(Item::parse(GROUP).unwrap().is_group_or_list());
}

/// A VLIST of generated members and other lines.
fn arb_list() -> impl Strategy<Value = (String, Vec<usize>)> {
    let other = prop::sample::select(vec![
        "NICKNAME:n",
        "DESCRIPTION:d\\;e",
        "CATEGORIES:A,B",
        "X-ADDRESSBOOKSERVER-MEMBER;CN=O:mailto:o@example.org",
        "X-ADDRESSBOOKSERVER-MEMBER:mailto:p@example.org",
        "X-FOO;BAR=baz:qux",
        "REV:20261201T000000Z",
    ]);
    (
        prop::collection::vec(0usize..5, 0..5),
        prop::collection::vec(other, 0..4),
    )
        .prop_map(|(members, others)| {
            let mut body = "BEGIN:VLIST\r\nVERSION:1.0\r\nUID:l\r\nFN:L\r\n".to_string();
            for m in &members {
                body.push_str(&format!(
                    "CARD;EMAIL=m{m}@example.org;FN=M {m}:m{m}.vcf\r\n"
                ));
            }
            for o in others {
                body.push_str(o);
                body.push_str("\r\n");
            }
            body.push_str("END:VLIST\r\n");
            (body, members)
        })
}

proptest! {
    #[test]
    fn lists_survive_both_shapes((body, members) in arb_list(), apple in any::<bool>(), resolvable in 0usize..6) {
        // Members m0..m{resolvable-1} are contacts; the rest name nothing.
        let book = Book {
            on_server: (0..resolvable.min(5))
                .map(|m| (format!("m{m}.vcf"), format!("u{m}"), Some(format!("M {m}")), Some(format!("m{m}@example.org"))))
                .collect(),
            local_only: HashMap::new(),
        };
        let shape = if apple { GroupShape::Apple } else { GroupShape::Vcard4 };
        let list = Item::parse(body).unwrap();
        let group = list.list_to_group(shape, &book, Dangling::Keep).unwrap();
        prop_assert_eq!(group.group_shape(), Some(shape));
        let contacts = members.iter().filter(|m| **m < resolvable).count();
        let resolved = group
            .group_members()
            .into_iter()
            .filter(|m| matches!(m, crate::Member::Contact(_)))
            .count();
        prop_assert_eq!(resolved, contacts);
        // Idempotent, and back to the list it was.
        prop_assert_eq!(group.list_to_group(shape, &book, Dangling::Keep).unwrap(), group.clone());
        let back = group.group_to_list(&book, Some(&list), Dangling::Keep).unwrap();
        prop_assert_eq!(back.group_to_list(&book, Some(&list), Dangling::Keep).unwrap(), back.clone());
        let again = back.list_to_group(shape, &book, Dangling::Keep).unwrap();
        prop_assert_eq!(again.content_hash(), group.content_hash());
        if resolvable >= 5 {
            prop_assert_eq!(back.content_hash(), list.content_hash());
        }
    }
}
