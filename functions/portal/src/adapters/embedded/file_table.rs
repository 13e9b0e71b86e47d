//! The single table in memory, saved to one JSON file after every write (write to a temp
//! file, then rename), so a restart keeps the data and a crash never leaves half a file.

use crate::ports::{Condition, Item, Key, PageOf, PortError, PortResult, Table, Write};
use async_trait::async_trait;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

type Map = BTreeMap<(String, String), Item>;

pub struct FileTable {
    path: Option<PathBuf>,
    items: Mutex<Map>,
}

impl FileTable {
    pub fn open(path: PathBuf) -> Result<Self, String> {
        let items = match std::fs::read(&path) {
            Ok(bytes) => {
                let list: Vec<Item> = serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
                list.into_iter().filter_map(|i| Some(((str_of(&i, "pk")?, str_of(&i, "sk")?), i))).collect()
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Map::new(),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        Ok(FileTable { path: Some(path), items: Mutex::new(items) })
    }

    /// Not saved anywhere: for tests.
    pub fn in_memory() -> Self {
        FileTable { path: None, items: Mutex::new(Map::new()) }
    }

    fn save(&self, items: &Map) -> PortResult<()> {
        let Some(path) = &self.path else { return Ok(()) };
        let list: Vec<&Item> = items.values().collect();
        let bytes = serde_json::to_vec(&list).map_err(|e| PortError::Internal(e.to_string()))?;
        let tmp = path.with_extension("tmp");
        super::write_private(&tmp, &bytes)
            .and_then(|_| std::fs::rename(&tmp, path))
            .map_err(|e| PortError::Unavailable(format!("saving the table: {e}")))
    }

    fn lock(&self) -> PortResult<std::sync::MutexGuard<'_, Map>> {
        self.items.lock().map_err(|_| PortError::Internal("table lock poisoned".into()))
    }
}

fn str_of(item: &Item, attr: &str) -> Option<String> {
    item.get(attr).and_then(Value::as_str).map(str::to_owned)
}

fn holds(existing: Option<&Item>, condition: &Condition) -> bool {
    match condition {
        Condition::None => true,
        Condition::Absent => existing.is_none(),
        Condition::Present => existing.is_some(),
        Condition::Version(v) => existing.and_then(|i| i.get("version")).and_then(Value::as_u64) == Some(*v),
        Condition::AbsentOrEqual { attribute, value } => existing.is_none_or(|i| i.get(*attribute).and_then(Value::as_str) == Some(value)),
    }
}

#[async_trait]
impl Table for FileTable {
    async fn get(&self, key: &Key) -> PortResult<Option<Item>> {
        Ok(self.lock()?.get(&(key.pk.clone(), key.sk.clone())).cloned())
    }

    async fn get_many(&self, keys: &[Key]) -> PortResult<Vec<Item>> {
        let items = self.lock()?;
        Ok(keys.iter().filter_map(|k| items.get(&(k.pk.clone(), k.sk.clone())).cloned()).collect())
    }

    async fn query(&self, pk: &str, sk_prefix: &str) -> PortResult<Vec<Item>> {
        self.page(pk, PageOf { prefix: sk_prefix, after: None, limit: usize::MAX, newest_first: false }).await
    }

    async fn page(&self, pk: &str, page: PageOf<'_>) -> PortResult<Vec<Item>> {
        let items = self.lock()?;
        let in_partition = items.range((pk.to_owned(), page.prefix.to_owned())..).take_while(|((p, s), _)| p == pk && s.starts_with(page.prefix));
        let beyond = |s: &str| match page.after {
            None => true,
            Some(after) if page.newest_first => s < after,
            Some(after) => s > after,
        };
        let chosen: Vec<Item> = if page.newest_first {
            in_partition.collect::<Vec<_>>().into_iter().rev().filter(|((_, s), _)| beyond(s)).take(page.limit).map(|(_, i)| i.clone()).collect()
        } else {
            in_partition.filter(|((_, s), _)| beyond(s)).take(page.limit).map(|(_, i)| i.clone()).collect()
        };
        Ok(chosen)
    }

    async fn write(&self, writes: Vec<Write>) -> PortResult<()> {
        let mut items = self.lock()?;
        let key_of = |w: &Write| -> PortResult<(String, String)> {
            match w {
                Write::Put { item, .. } => Ok((
                    str_of(item, "pk").ok_or_else(|| PortError::Internal("item without pk".into()))?,
                    str_of(item, "sk").ok_or_else(|| PortError::Internal("item without sk".into()))?,
                )),
                Write::Delete { key, .. } => Ok((key.pk.clone(), key.sk.clone())),
            }
        };
        for w in &writes {
            let condition = match w {
                Write::Put { condition, .. } | Write::Delete { condition, .. } => condition,
            };
            if !holds(items.get(&key_of(w)?), condition) {
                return Err(PortError::Conflict);
            }
        }
        let mut next = items.clone();
        for w in writes {
            let k = key_of(&w)?;
            match w {
                Write::Put { item, .. } => {
                    next.insert(k, item);
                }
                Write::Delete { .. } => {
                    next.remove(&k);
                }
            }
        }
        self.save(&next)?;
        *items = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(pk: &str, sk: &str, version: u64) -> Item {
        json!({"pk": pk, "sk": sk, "version": version}).as_object().unwrap().clone()
    }

    #[tokio::test]
    async fn conditions_are_all_or_nothing_and_data_survives_a_restart() {
        let dir = std::env::temp_dir().join(format!("ft-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let t = FileTable::open(dir.join("t.json")).unwrap();
        t.write(vec![Write::Put { item: item("a", "1", 1), condition: Condition::Absent }]).await.unwrap();
        let clash = t
            .write(vec![
                Write::Put { item: item("b", "1", 1), condition: Condition::Absent },
                Write::Put { item: item("a", "1", 2), condition: Condition::Absent },
            ])
            .await;
        assert_eq!(clash, Err(PortError::Conflict));
        assert!(t.get(&Key::new("b", "1")).await.unwrap().is_none(), "nothing of a failed group is written");
        assert_eq!(t.write(vec![Write::Put { item: item("a", "1", 3), condition: Condition::Version(9) }]).await, Err(PortError::Conflict));
        t.write(vec![Write::Put { item: item("a", "1", 2), condition: Condition::Version(1) }]).await.unwrap();
        t.write(vec![Write::Put { item: item("a", "2x", 1), condition: Condition::None }]).await.unwrap();
        assert_eq!(t.query("a", "2").await.unwrap().len(), 1);
        assert_eq!(t.query("a", "").await.unwrap().len(), 2);

        let page = |after, newest_first| PageOf { prefix: "2", after, limit: 1, newest_first };
        t.write(vec![Write::Put { item: item("a", "2y", 1), condition: Condition::None }]).await.unwrap();
        let sks = |items: Vec<Item>| items.iter().map(|i| i["sk"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
        assert_eq!(sks(t.page("a", page(None, false)).await.unwrap()), ["2x"]);
        assert_eq!(sks(t.page("a", page(Some("2x"), false)).await.unwrap()), ["2y"]);
        assert!(t.page("a", page(Some("2y"), false)).await.unwrap().is_empty());
        assert_eq!(sks(t.page("a", page(None, true)).await.unwrap()), ["2y"]);
        assert_eq!(sks(t.page("a", page(Some("2y"), true)).await.unwrap()), ["2x"]);
        let owner = |v: &str| Condition::AbsentOrEqual { attribute: "version_of", value: v.to_owned() };
        let mut marked = item("m", "1", 1);
        marked.insert("version_of".into(), Value::from("x"));
        t.write(vec![Write::Put { item: marked.clone(), condition: owner("x") }]).await.unwrap();
        t.write(vec![Write::Put { item: marked.clone(), condition: owner("x") }]).await.unwrap();
        assert_eq!(t.write(vec![Write::Put { item: marked, condition: owner("y") }]).await, Err(PortError::Conflict));
        let reopened = FileTable::open(dir.join("t.json")).unwrap();
        assert_eq!(reopened.get(&Key::new("a", "1")).await.unwrap().unwrap()["version"], 2);
    }
}
