//! The files of the front end, built into the binary. They are served under
//! `/assets/<version>/`, where the version is a hash of all their contents: a change to any
//! file gives every file a new name, so browsers may keep them for a year, and the modules'
//! relative imports (`./api.js`) stay valid without a bundler rewriting them.

use std::sync::LazyLock;

pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

macro_rules! assets {
    ($($name:literal: $type:expr),* $(,)?) => {
        &[$(Asset { name: $name, content_type: $type, bytes: include_bytes!(concat!("../assets/", $name)) }),*]
    };
}

const JS: &str = "text/javascript; charset=utf-8";

pub const ASSETS: &[Asset] = assets![
    "app.css": "text/css; charset=utf-8",
    "icon.svg": "image/svg+xml",
    "js/api.js": JS,
    "js/appointments.js": JS,
    "js/chart.js": JS,
    "js/counts.js": JS,
    "js/labs.js": JS,
    "js/main.js": JS,
    "js/messages.js": JS,
    "js/patient.js": JS,
    "js/records.js": JS,
    "js/routes.js": JS,
    "js/session.js": JS,
    "js/ui.js": JS,
    "js/vaccines.js": JS,
    "js/words.js": JS,
    "js/pages/account.js": JS,
    "js/pages/account-access-log.js": JS,
    "js/pages/account-additional-info.js": JS,
    "js/pages/account-demographics.js": JS,
    "js/pages/account-security-questions.js": JS,
    "js/pages/admin-imports.js": JS,
    "js/pages/admin-security-events.js": JS,
    "js/pages/admin-staff.js": JS,
    "js/pages/appointments.js": JS,
    "js/pages/conversation.js": JS,
    "js/pages/first-sign-in.js": JS,
    "js/pages/forgot-password.js": JS,
    "js/pages/help.js": JS,
    "js/pages/immunizations.js": JS,
    "js/pages/lab-report.js": JS,
    "js/pages/lab-reports.js": JS,
    "js/pages/lab-result.js": JS,
    "js/pages/lab-results.js": JS,
    "js/pages/medical-record.js": JS,
    "js/pages/medications.js": JS,
    "js/pages/messages.js": JS,
    "js/pages/new-appointment.js": JS,
    "js/pages/office-accounts.js": JS,
    "js/pages/office-appointments.js": JS,
    "js/pages/office-inbox.js": JS,
    "js/pages/office-patients.js": JS,
    "js/pages/office-register.js": JS,
    "js/pages/refill.js": JS,
    "js/pages/reset-password.js": JS,
    "js/pages/send-message.js": JS,
    "js/pages/sign-in.js": JS,
    "js/pages/two-step.js": JS,
    "js/pages/welcome.js": JS,
];

/// 64-bit FNV-1a over every asset's name and bytes: a cache key, not a security measure.
pub static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for asset in ASSETS {
        for byte in asset.name.bytes().chain([0]).chain(asset.bytes.iter().copied()).chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
});

/// The one HTML document of every page, naming the current version and the idle limit.
pub static INDEX: LazyLock<String> = LazyLock::new(|| {
    let idle = portal::http::idle_limit();
    include_str!("../assets/index.html").replace("{{assets}}", &format!("/assets/{}", *VERSION)).replace("{{idle_seconds}}", &idle.to_string())
});

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    fn files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files(&path, out)
            } else {
                out.push(path)
            }
        }
    }

    #[test]
    fn every_file_is_served_and_every_import_resolves() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
        let mut found = Vec::new();
        files(&root, &mut found);
        let mut names: Vec<String> =
            found.iter().map(|p| p.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/")).filter(|n| n != "index.html").collect();
        names.sort();
        let mut listed: Vec<String> = ASSETS.iter().map(|a| a.name.to_owned()).collect();
        listed.sort();
        assert_eq!(names, listed, "assets/ and ASSETS differ");
        for asset in ASSETS.iter().filter(|a| a.name.ends_with(".js")) {
            let text = std::str::from_utf8(asset.bytes).unwrap();
            let dir = Path::new(asset.name).parent().unwrap();
            for import in text.split("from \"").skip(1).map(|rest| rest.split('"').next().unwrap()) {
                let target = normalize(&dir.join(import));
                assert!(ASSETS.iter().any(|a| a.name == target), "{} imports {import}, which is not an asset", asset.name);
            }
        }
    }

    fn normalize(path: &Path) -> String {
        let mut parts: Vec<String> = Vec::new();
        for part in path.components() {
            match part.as_os_str().to_str().unwrap() {
                "." => {}
                ".." => {
                    parts.pop();
                }
                p => parts.push(p.to_owned()),
            }
        }
        parts.join("/")
    }

    #[test]
    fn the_page_script_knows_the_same_pages_as_the_server() {
        let routes = std::str::from_utf8(ASSETS.iter().find(|a| a.name == "js/routes.js").unwrap().bytes).unwrap();
        let mut in_script: Vec<&str> = routes.split("path: \"").skip(1).map(|rest| rest.split('"').next().unwrap()).collect();
        in_script.sort();
        let mut pages = crate::PAGES.to_vec();
        pages.sort();
        assert_eq!(in_script, pages);
    }

    #[test]
    fn the_index_names_only_assets_that_exist() {
        assert!(INDEX.contains("name=\"portal-idle-seconds\""));
        for link in INDEX.split("/assets/").skip(1) {
            let name = link.split('"').next().unwrap().split_once('/').unwrap().1;
            assert!(ASSETS.iter().any(|a| a.name == name), "index names {name}");
        }
    }
}
