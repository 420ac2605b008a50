//! Rendered page parts, kept in the process and checked against the database.
//!
//! A cached part is keyed by the initiative's `generation` (bumped in the same
//! transaction as every change to the initiative or anything in it), the day,
//! the language and what the viewer may do. Each request still reads the
//! generation from the database, so a change made through any server process
//! is visible on the next request everywhere: the cache saves the work of
//! rendering, never the truth.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Entries kept before the cache starts over (old generations are never read again).
const MAX_ENTRIES: usize = 4096;

#[derive(Default)]
pub struct PageCache {
    map: Mutex<HashMap<String, Arc<String>>>,
}

impl PageCache {
    pub fn get(&self, key: &str) -> Option<Arc<String>> {
        self.map.lock().expect("cache lock").get(key).cloned()
    }

    pub fn put(&self, key: String, value: String) -> Arc<String> {
        let v = Arc::new(value);
        let mut m = self.map.lock().expect("cache lock");
        if m.len() >= MAX_ENTRIES {
            m.clear();
        }
        m.insert(key, v.clone());
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_and_bounds_entries() {
        let c = PageCache::default();
        assert!(c.get("a").is_none());
        c.put("a".into(), "x".into());
        assert_eq!(c.get("a").as_deref().map(String::as_str), Some("x"));
        for i in 0..MAX_ENTRIES {
            c.put(format!("k{i}"), String::new());
        }
        assert!(c.map.lock().unwrap().len() <= MAX_ENTRIES);
    }
}
