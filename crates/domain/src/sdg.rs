//! The UN SDG targets and indicators an objective can be tagged with.
// placeholder until the catalogue lands
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code(String);
impl Code {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
pub fn parse_codes(input: &str) -> Result<Vec<Code>, String> {
    Ok(input
        .split([',', ' ', ';'])
        .filter(|s| !s.is_empty())
        .map(|s| Code(s.to_string()))
        .collect())
}
