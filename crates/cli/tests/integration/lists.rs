//! End-to-end: contact lists and groups. SOGo's lists (`VLIST`) become
//! vCard groups in the folder with their members resolved, and go back as
//! lists (members written first); groups in both vCard shapes on Radicale,
//! converted between them; `lists = "skip"`; khard reads the folders.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use crate::servers::{Setup, writes};
use davsync_dav::CollectionKind;
use davsync_pim::{GroupShape, Item, ItemKind, Member};
use davsync_testkit::clients;
use davsync_testkit::folder::{items_by_uid, write_file};
use davsync_testkit::items::vcard3;
use std::path::Path;

/// A SOGo list naming `cards` (resource names) and one outside member.
fn vlist(uid: &str, name: &str, cards: &[&str]) -> String {
    let mut body = format!("BEGIN:VLIST\r\nVERSION:1.0\r\nUID:{uid}\r\nFN:{name}\r\n");
    for card in cards {
        let who = card.trim_end_matches(".vcf");
        body.push_str(&format!("CARD;EMAIL={who}@example.org;FN={who}:{card}\r\n"));
    }
    body.push_str("X-ADDRESSBOOKSERVER-MEMBER;CN=Out Side:mailto:out@example.org\r\nEND:VLIST\r\n");
    body
}

/// The folder's file and item of `uid`.
fn local_item(folder: &Path, uid: &str) -> (String, Item) {
    let mut files = items_by_uid(folder, "vcf").remove(uid).unwrap_or_default();
    assert_eq!(files.len(), 1, "{uid} in the folder once: {files:?}");
    files.pop().unwrap()
}

/// The contacts a group names, sorted, and its mailto members.
fn members(item: &Item) -> (Vec<String>, Vec<String>) {
    let mut contacts = Vec::new();
    let mut mail = Vec::new();
    for m in item.group_members() {
        match m {
            Member::Contact(uid) => contacts.push(uid),
            Member::Mailto { email, .. } => mail.push(email),
            Member::Other(other) => panic!("unexpected member {other}"),
        }
    }
    contacts.sort();
    mail.sort();
    (contacts, mail)
}

/// The resource names a server list's CARD lines name, sorted.
fn cards(body: &str) -> Vec<String> {
    let mut out: Vec<String> = body
        .replace("\r\n ", "")
        .lines()
        .filter(|l| l.starts_with("CARD"))
        .map(|l| l.rsplit(':').next().unwrap().to_string())
        .collect();
    out.sort();
    out
}

/// An idle run: nothing written, one request.
fn assert_idle(s: &Setup, config: &str, what: &str) {
    let report = &s.sync(config, &[])["people"];
    assert_eq!(writes(report), 0, "{what}: {report:#}");
}

#[test]
fn sogo_lists_are_groups_in_the_folder_and_lists_on_the_server() {
    let s = Setup::new("sogo");
    let local = s.folder("local");
    let book = s.collection(CollectionKind::AddressBook);
    let config = s.profile("people", "contacts", &local, &book, "");
    for (uid, name) in [("homer", "Homer"), ("marge", "Marge"), ("bart", "Bart")] {
        s.put(&book, uid, &vcard3(uid, name));
    }
    s.put(
        &book,
        "simpsons",
        &vlist("simpsons", "Simpsons", &["homer.vcf", "marge.vcf"]),
    );

    // Down: a vCard 4 group naming the contacts by UID, the outside
    // member as a mailto member.
    let first = &s.sync(&config, &[])["people"];
    assert_eq!(first["local"]["created"], 4, "{first:#}");
    assert_eq!(
        first["errors"].as_array().map(Vec::len),
        Some(0),
        "{first:#}"
    );
    let (file, group) = local_item(&local, "simpsons");
    assert_eq!(
        group.group_shape(),
        Some(GroupShape::Vcard4),
        "{}",
        group.body()
    );
    assert_eq!(
        members(&group),
        (
            vec!["homer".into(), "marge".into()],
            vec!["out@example.org".into()]
        )
    );
    assert_idle(&s, &config, "after the download");
    let names: Vec<String> = clients::khard_contacts(&local)
        .into_iter()
        .map(|(_, name)| name)
        .collect();
    assert!(names.contains(&"Simpsons".to_string()), "{names:?}");
    assert_eq!(names.len(), 4, "{names:?}");

    // Edited in the folder: renamed, Homer out, Bart in.
    let edited = group
        .body()
        .replace("FN:Simpsons", "FN:The Simpsons")
        .replace("urn:uuid:homer", "urn:uuid:bart");
    write_file(&local, &file, &edited);
    let up = &s.sync(&config, &[])["people"];
    assert_eq!(up["server"]["updated"], 1, "{up:#}");
    let server = &s.server_bodies(&book)["simpsons"].replace("\r\n ", "");
    assert!(server.starts_with("BEGIN:VLIST"), "{server}");
    assert!(server.contains("FN:The Simpsons"), "{server}");
    assert_eq!(cards(server), ["bart.vcf", "marge.vcf"], "{server}");
    assert!(server.contains("mailto:out@example.org"), "{server}");
    assert_idle(&s, &config, "after the upload");

    // A new contact and a new group naming it, made together in the
    // folder: the contact is written first, and the list names its
    // resource.
    write_file(&local, "lisa.vcf", &vcard3("lisa", "Lisa"));
    write_file(
        &local,
        "kids.vcf",
        "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:kids\r\nKIND:group\r\nFN:Kids\r\n\
         MEMBER:urn:uuid:lisa\r\nMEMBER:urn:uuid:bart\r\nEND:VCARD\r\n",
    );
    let new = &s.sync(&config, &[])["people"];
    assert_eq!(new["server"]["created"], 2, "{new:#}");
    let bodies = s.server_bodies(&book);
    let kids = &bodies["kids"];
    assert!(kids.starts_with("BEGIN:VLIST"), "{kids}");
    assert_eq!(cards(kids), ["bart.vcf", "lisa.vcf"], "{kids}");
    assert!(kids.contains("FN=Lisa"), "{kids}");
    assert_idle(&s, &config, "after the new list");

    // Changed on the server: Homer back in, renamed.
    s.put_body(
        &book,
        "simpsons",
        &vlist(
            "simpsons",
            "Simpson family",
            &["homer.vcf", "marge.vcf", "bart.vcf"],
        ),
    );
    let down = &s.sync(&config, &[])["people"];
    assert_eq!(down["local"]["updated"], 1, "{down:#}");
    let (_, group) = local_item(&local, "simpsons");
    assert_eq!(group.summary(), Some("Simpson family"));
    assert_eq!(
        members(&group).0,
        ["bart".to_string(), "homer".into(), "marge".into()]
    );
    assert_idle(&s, &config, "after the server's change");

    // A member contact deleted on the server: SOGo keeps the list's CARD
    // line. The same run makes Marge a mailto member of the folder's group
    // (her last-known name and e-mail) and takes that to the server: an
    // outside member, no CARD naming nothing.
    s.remove(&book, "marge");
    let gone = &s.sync(&config, &[])["people"];
    assert_eq!(gone["local"]["deleted"], 1, "{gone:#}");
    assert_eq!(gone["local"]["updated"], 1, "{gone:#}");
    assert_eq!(gone["server"]["updated"], 1, "{gone:#}");
    let (_, group) = local_item(&local, "simpsons");
    assert_eq!(
        members(&group),
        (
            vec!["bart".into(), "homer".into()],
            vec!["marge@example.org".into(), "out@example.org".into()]
        ),
        "{}",
        group.body()
    );
    assert!(group.body().contains("CN=Marge"), "{}", group.body());
    let server = &s.server_bodies(&book)["simpsons"].replace("\r\n ", "");
    assert_eq!(cards(server), ["bart.vcf", "homer.vcf"], "{server}");
    assert!(server.contains("mailto:marge@example.org"), "{server}");
    assert_idle(&s, &config, "after the member's deletion");

    // A CARD naming a resource that is gone, put by another client, comes
    // down as a mailto member with the name and e-mail SOGo kept.
    s.put_body(
        &book,
        "simpsons",
        &vlist("simpsons", "Simpsons", &["homer.vcf", "ghost.vcf"]),
    );
    s.sync(&config, &[]);
    let (file, group) = local_item(&local, "simpsons");
    assert_eq!(
        members(&group),
        (
            vec!["homer".into()],
            vec!["ghost@example.org".into(), "out@example.org".into()]
        ),
        "{}",
        group.body()
    );
    assert_idle(&s, &config, "after the dangling CARD");
    // ... and it goes back up as an outside member, not a dangling CARD.
    write_file(
        &local,
        &file,
        &group.body().replace("FN:Simpsons", "FN:Simpsons!"),
    );
    s.sync(&config, &[]);
    let server = &s.server_bodies(&book)["simpsons"].replace("\r\n ", "");
    assert_eq!(cards(server), ["homer.vcf"], "{server}");
    assert!(server.contains("mailto:ghost@example.org"), "{server}");
    assert_idle(&s, &config, "after the last upload");

    // A member contact deleted in the folder: gone from the server, and
    // the groups naming it on both sides keep her as a mailto member.
    std::fs::remove_file(local.join(&local_item(&local, "lisa").0)).unwrap();
    let deleted = &s.sync(&config, &[])["people"];
    assert_eq!(deleted["server"]["deleted"], 1, "{deleted:#}");
    let (_, kids) = local_item(&local, "kids");
    assert_eq!(
        members(&kids),
        (vec!["bart".into()], vec!["lisa@example.org".into()]),
        "{}",
        kids.body()
    );
    let server = &s.server_bodies(&book)["kids"].replace("\r\n ", "");
    assert_eq!(cards(server), ["bart.vcf"], "{server}\n{deleted:#}");
    assert!(
        server.contains("CN=Lisa:mailto:lisa@example.org"),
        "{server}"
    );
    assert_idle(&s, &config, "after the folder's deletion");

    // Deleted in the folder: gone from the server.
    std::fs::remove_file(local.join("kids.vcf")).unwrap();
    let deleted = &s.sync(&config, &[])["people"];
    assert_eq!(deleted["server"]["deleted"], 1, "{deleted:#}");
    assert!(!s.server_bodies(&book).contains_key("kids"));
}

/// A group member whose contact cannot go to the server (here: its file is
/// broken) goes up as an outside member; once the contact is there, the
/// same run writes the list again, naming it.
#[test]
fn sogo_a_list_names_a_member_once_its_contact_is_on_the_server() {
    let s = Setup::new("sogo");
    let local = s.folder("local");
    let book = s.collection(CollectionKind::AddressBook);
    let config = s.profile("people", "contacts", &local, &book, "");
    write_file(&local, "homer.vcf", &vcard3("homer", "Homer"));
    let newbie = vcard3("newbie", "New Bie");
    write_file(
        &local,
        "newbie.vcf",
        newbie.replace("END:VCARD\r\n", "").as_str(),
    );
    write_file(
        &local,
        "team.vcf",
        "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:team\r\nKIND:group\r\nFN:Team\r\n\
         MEMBER:urn:uuid:homer\r\nMEMBER:urn:uuid:newbie\r\nEND:VCARD\r\n",
    );
    let (code, json) = s.sync_with(&config, &s.server.password, &[]);
    assert_eq!(code, 1, "the broken file is an error: {json:#}");
    let server = s.server_bodies(&book)["team"].replace("\r\n ", "");
    assert_eq!(cards(&server), ["homer.vcf"], "{server}");
    assert!(server.contains("urn:uuid:newbie"), "{server}");
    let db = davsync_sync::StatusDb::open(&s.root.join("data/status/people.sqlite")).unwrap();
    assert_eq!(db.awaiting_members().unwrap()["team"], ["newbie"]);

    // The file mended: the contact goes up, and the list after it.
    write_file(&local, "newbie.vcf", &newbie);
    let run = &s.sync(&config, &[])["people"];
    assert_eq!(run["server"]["created"], 1, "{run:#}");
    assert_eq!(run["server"]["updated"], 1, "{run:#}");
    let server = s.server_bodies(&book)["team"].replace("\r\n ", "");
    assert_eq!(cards(&server), ["homer.vcf", "newbie.vcf"], "{server}");
    assert!(!server.contains("X-ADDRESSBOOKSERVER-MEMBER"), "{server}");
    assert!(db.awaiting_members().unwrap().is_empty());
    let (_, group) = local_item(&local, "team");
    assert_eq!(
        members(&group),
        (vec!["homer".into(), "newbie".into()], vec![])
    );
    assert_idle(&s, &config, "after the list was written again");
}

#[test]
fn sogo_lists_can_be_skipped_and_are_counted() {
    let s = Setup::new("sogo");
    let local = s.folder("local");
    let book = s.collection(CollectionKind::AddressBook);
    let config = s.profile("people", "contacts", &local, &book, "lists = \"skip\"");
    s.put(&book, "homer", &vcard3("homer", "Homer"));
    s.put(
        &book,
        "simpsons",
        &vlist("simpsons", "Simpsons", &["homer.vcf"]),
    );
    write_file(
        &local,
        "team.vcf",
        "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:team\r\nKIND:group\r\nFN:Team\r\nEND:VCARD\r\n",
    );
    let first = &s.sync(&config, &[])["people"];
    assert_eq!(first["local"]["created"], 1, "{first:#}");
    assert_eq!(first["server"]["created"], 0, "{first:#}");
    assert_eq!(first["lists_skipped"], 2, "{first:#}");
    assert!(!items_by_uid(&local, "vcf").contains_key("simpsons"));
    assert!(!s.server_bodies(&book).contains_key("team"));
    assert_idle(&s, &config, "skipping");
}

/// A group in both vCard shapes on a server that keeps what it is given.
fn groups_in_both_shapes(name: &str) {
    let s = Setup::new(name);
    let local = s.folder("local");
    let book = s.collection(CollectionKind::AddressBook);
    // The folder in Apple's shape, vCard 4 groups on the server.
    let config = s.profile(
        "people",
        "contacts",
        &local,
        &book,
        "group_format = \"apple\"\nserver_groups = \"vcard4\"",
    );
    s.put(&book, "ann", &vcard3("ann", "Ann"));
    s.put(
        &book,
        "team",
        "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:team\r\nKIND:group\r\nFN:Team\r\n\
         MEMBER:urn:uuid:ann\r\nMEMBER;CN=Out:mailto:out@example.org\r\nEND:VCARD\r\n",
    );
    let first = &s.sync(&config, &[])["people"];
    assert_eq!(first["local"]["created"], 2, "{name}: {first:#}");
    let (_, team) = local_item(&local, "team");
    assert_eq!(
        team.group_shape(),
        Some(GroupShape::Apple),
        "{}",
        team.body()
    );
    assert_eq!(
        members(&team),
        (vec!["ann".into()], vec!["out@example.org".into()])
    );
    assert_idle(&s, &config, name);
    // A new Apple-shaped group from the folder goes up in the vCard 4 shape.
    write_file(
        &local,
        "pals.vcf",
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:pals\r\nX-ADDRESSBOOKSERVER-KIND:group\r\n\
         FN:Pals\r\nN:;;;;\r\nX-ADDRESSBOOKSERVER-MEMBER:urn:uuid:ann\r\nEND:VCARD\r\n",
    );
    let up = &s.sync(&config, &[])["people"];
    assert_eq!(up["server"]["created"], 1, "{name}: {up:#}");
    let pals = Item::parse(s.server_bodies(&book)["pals"].clone()).unwrap();
    assert_eq!(pals.kind(), ItemKind::Contact);
    assert_eq!(
        pals.group_shape(),
        Some(GroupShape::Vcard4),
        "{}",
        pals.body()
    );
    assert_eq!(members(&pals).0, ["ann"]);
    assert_idle(&s, &config, name);
    // khard lists both groups and the contact.
    let mut uids: Vec<String> = clients::khard_contacts(&local)
        .into_iter()
        .map(|(uid, _)| uid)
        .collect();
    uids.sort();
    assert_eq!(uids, ["ann", "pals", "team"], "{name}");

    // Ann deleted on the server: both groups keep her as a mailto member,
    // in the folder and on the server, in the same run.
    s.remove(&book, "ann");
    let gone = &s.sync(&config, &[])["people"];
    assert_eq!(gone["local"]["deleted"], 1, "{name}: {gone:#}");
    assert_eq!(gone["local"]["updated"], 2, "{name}: {gone:#}");
    assert_eq!(gone["server"]["updated"], 2, "{name}: {gone:#}");
    for uid in ["team", "pals"] {
        let (_, group) = local_item(&local, uid);
        assert_eq!(group.group_shape(), Some(GroupShape::Apple));
        assert!(members(&group).0.is_empty(), "{}", group.body());
        assert!(
            group
                .body()
                .contains("X-ADDRESSBOOKSERVER-MEMBER;CN=Ann:mailto:ann@example.org"),
            "{}",
            group.body()
        );
        let server = &s.server_bodies(&book)[uid];
        assert!(
            server.contains("MEMBER;CN=Ann:mailto:ann@example.org"),
            "{server}"
        );
        assert!(!server.contains("urn:uuid:ann"), "{server}");
    }
    assert_idle(&s, &config, name);
}

#[test]
fn radicale_groups_in_both_shapes() {
    groups_in_both_shapes("radicale");
}

#[test]
fn xandikos_groups_in_both_shapes() {
    groups_in_both_shapes("xandikos");
}
