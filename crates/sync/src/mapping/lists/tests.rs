use super::*;
use crate::mapping::Mapping;
use crate::mapping::testing::{self, contacts, map};
use proptest::prelude::*;

/// An address book of three contacts, as the server holds them.
struct Book;

impl MemberDirectory for Book {
    fn uid_at(&self, name: &str) -> Option<String> {
        match name {
            "m1.vcf" => Some("uid-1".into()),
            "m2.vcf" => Some("uid-2".into()),
            _ => None,
        }
    }

    fn card_of(&self, uid: &str) -> Option<CardRef> {
        let n = uid.strip_prefix("uid-")?;
        Some(CardRef {
            name: Some(format!("m{n}.vcf")),
            full_name: Some(format!("Member {n}")),
            email: Some(format!("m{n}@example.org")),
        })
    }
}

const LIST: &str = "BEGIN:VLIST\r\nVERSION:1.0\r\nUID:list-1\r\nFN:Friends\r\n\
CARD;FN=Member 1;EMAIL=m1@example.org:m1.vcf\r\nCARD;EMAIL=gone@example.org;FN=Gone:gone.vcf\r\n\
X-ADDRESSBOOKSERVER-MEMBER;CN=Out:mailto:out@example.org\r\nEND:VLIST\r\n";

fn lists(server: ServerForm, folder: GroupShape, dangling: Dangling) -> Lists {
    Lists {
        lists: ListsOption::Sync,
        server,
        folder,
        dangling,
    }
}

fn map_with(m: &Mapping, to: Side, item: &Item, current: Option<&Item>) -> Item {
    let context = MapContext {
        current,
        members: Some(&Book),
        linked: None,
        ..MapContext::default()
    };
    m.map(to, item.clone(), &context).expect("maps")
}

#[test]
fn a_sogo_list_is_a_group_in_the_folder_and_a_list_again_on_the_server() {
    let server = Item::parse(LIST).unwrap();
    for shape in [GroupShape::Vcard4, GroupShape::Apple] {
        let m = Mapping::new().with(lists(ServerForm::Vlist, shape, Dangling::Keep));
        assert!(m.lossy(Side::Local));
        let local = map_with(&m, Side::Local, &server, None);
        assert_eq!(local.group_shape(), Some(shape));
        let members = local.group_members();
        assert_eq!(members.len(), 3, "{}", local.body());
        assert_eq!(members[0], davsync_pim::Member::Contact("uid-1".into()));
        // Unchanged: the server's list as it is; idempotent.
        assert_eq!(map_with(&m, Side::Server, &local, Some(&server)), server);
        assert_eq!(map_with(&m, Side::Local, &local, None), local);
        // Edited in the folder: a member added, one removed.
        let edited = Item::parse(local.body().replace("urn:uuid:uid-1", "urn:uuid:uid-2")).unwrap();
        let up = map_with(&m, Side::Server, &edited, Some(&server));
        assert_eq!(up.kind(), ItemKind::List);
        let body = testing::unfolded(&up);
        assert!(
            body.contains("CARD;EMAIL=m2@example.org;FN=Member 2:m2.vcf\r\n"),
            "{body}"
        );
        assert!(!body.contains("m1.vcf"), "{body}");
        // The member naming no contact stays an outside member.
        assert!(
            body.contains(
                "X-ADDRESSBOOKSERVER-MEMBER;CN=Gone;X-DAVSYNC-CARD=gone.vcf:mailto:gone@example.org\r\n"
            ),
            "{body}"
        );
        assert_eq!(
            map_with(&m, Side::Local, &up, Some(&edited)).content_hash(),
            edited.content_hash()
        );
    }
}

#[test]
fn dangling_members_go_with_drop() {
    let server = Item::parse(LIST).unwrap();
    let m = Mapping::new().with(lists(ServerForm::Vlist, GroupShape::Vcard4, Dangling::Drop));
    let local = map_with(&m, Side::Local, &server, None);
    assert_eq!(local.group_members().len(), 2);
    assert!(!local.body().contains("gone"));
}

#[test]
fn groups_go_to_a_group_server_in_the_wanted_shape() {
    let group = testing::contact("nextcloud-group");
    let m = Mapping::new().with(lists(
        ServerForm::Group(GroupShape::Apple),
        GroupShape::Vcard4,
        Dangling::Keep,
    ));
    let up = map_with(&m, Side::Server, &group, None);
    assert_eq!(up.group_shape(), Some(GroupShape::Apple));
    assert_eq!(up.group_members(), group.group_members());
    // Auto, not SOGo: as the folder holds it.
    let auto = Mapping::new().with(lists(ServerForm::Auto, GroupShape::Vcard4, Dangling::Keep));
    assert!(!auto.lossy(Side::Local));
    assert_eq!(map_with(&auto, Side::Server, &group, None), group);
    // ... unless the server's copy is a list.
    let server = Item::parse(LIST).unwrap();
    let local = map_with(&auto, Side::Local, &server, None);
    assert_eq!(
        map_with(&auto, Side::Server, &local, Some(&server)).kind(),
        ItemKind::List
    );
}

#[test]
fn skip_leaves_lists_and_groups_out_of_the_profile() {
    let skip = Mapping::new().with(Lists {
        lists: ListsOption::Skip,
        ..lists(ServerForm::Vlist, GroupShape::Vcard4, Dangling::Keep)
    });
    let context = MapContext::default();
    assert!(!skip.admits(Side::Server, &Item::parse(LIST).unwrap(), &context));
    assert!(!skip.admits(Side::Local, &testing::contact("nextcloud-group"), &context));
    for (name, card) in contacts() {
        assert_eq!(
            skip.admits(Side::Local, &card, &context),
            card.group_shape().is_none(),
            "{name}"
        );
    }
    assert_eq!(skip.selection(), "lists skipped");
}

#[test]
fn contacts_are_left_alone() {
    for server in [
        ServerForm::Vlist,
        ServerForm::Auto,
        ServerForm::Group(GroupShape::Apple),
    ] {
        let m = Mapping::new().with(lists(server, GroupShape::Apple, Dangling::Keep));
        for (_, card) in contacts() {
            if card.group_shape().is_none() {
                assert_eq!(map(&m, Side::Local, &card, None), card);
                assert_eq!(map(&m, Side::Server, &card, None), card);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn generated_cards_are_stable(card in testing::arb_card(), apple in any::<bool>()) {
        let shape = if apple { GroupShape::Apple } else { GroupShape::Vcard4 };
        let m = Mapping::new().with(lists(ServerForm::Vlist, shape, Dangling::Keep));
        let local = map_with(&m, Side::Local, &card, None);
        prop_assert_eq!(map_with(&m, Side::Local, &local, None), local.clone());
        prop_assert_eq!(map_with(&m, Side::Server, &local, Some(&card)), card);
    }
}
