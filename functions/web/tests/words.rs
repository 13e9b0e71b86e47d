//! The pages show every audit action and security event in words (`assets/js/words.js`):
//! an id the code records without words here fails, and so do words for an id that no
//! longer exists.

use portal::store::audit::Action;
use portal::store::security::Event;
use std::collections::BTreeSet;

/// The keys of `export const <name> = { ... };` in words.js.
fn keys_of(name: &str) -> BTreeSet<String> {
    let words = include_str!("../assets/js/words.js");
    let start = words.find(&format!("export const {name} = {{")).unwrap_or_else(|| panic!("words.js has no {name}"));
    let block = &words[start..];
    let block = &block[block.find('{').unwrap() + 1..block.find("};").unwrap()];
    block
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .map(|l| l.split_once(':').unwrap_or_else(|| panic!("{name}: not a `key: words` line: {l}")).0.trim().trim_matches('"').to_owned())
        .collect()
}

#[test]
fn every_audit_action_has_page_words() {
    let ids: BTreeSet<String> = Action::ALL.iter().map(|a| a.as_str().to_owned()).collect();
    assert_eq!(keys_of("ACTIONS"), ids, "words.js ACTIONS against portal::store::audit::Action");
}

#[test]
fn every_security_event_has_page_words() {
    let ids: BTreeSet<String> = Event::ALL.iter().map(|e| e.as_str().to_owned()).collect();
    assert_eq!(keys_of("SECURITY_EVENTS"), ids, "words.js SECURITY_EVENTS against portal::store::security::Event");
}
