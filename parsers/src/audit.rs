//! kube-apiserver audit events, one JSON object per line (`audit.k8s.io/v1` and `v1beta1`).
//!
//! Fields borrow from the line (`Cow` only allocates when a string holds escapes); request and
//! response bodies stay as unparsed [`RawValue`]s until an extractor needs one of them, so a
//! `get leases` line costs one pass of serde's scanner and nothing more.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Debug, Deserialize)]
pub struct Event<'a> {
    #[serde(borrow, default)]
    pub kind: Option<Cow<'a, str>>,
    #[serde(rename = "apiVersion", borrow, default)]
    pub api_version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub level: Option<Cow<'a, str>>,
    #[serde(rename = "auditID", borrow, default)]
    pub audit_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub stage: Option<Cow<'a, str>>,
    #[serde(rename = "requestURI", borrow, default)]
    pub request_uri: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub verb: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub user: Option<User<'a>>,
    #[serde(rename = "objectRef", borrow, default)]
    pub object_ref: Option<ObjectRef<'a>>,
    #[serde(rename = "responseStatus", default)]
    pub response_status: Option<ResponseStatus>,
    #[serde(rename = "requestObject", borrow, default)]
    pub request_object: Option<&'a RawValue>,
    #[serde(rename = "responseObject", borrow, default)]
    pub response_object: Option<&'a RawValue>,
    #[serde(rename = "requestReceivedTimestamp", borrow, default)]
    pub request_received: Option<Cow<'a, str>>,
    #[serde(rename = "stageTimestamp", borrow, default)]
    pub stage_timestamp: Option<Cow<'a, str>>,
    /// v1beta1 only: second-precision event time.
    #[serde(borrow, default)]
    pub timestamp: Option<Cow<'a, str>>,
}

#[derive(Debug, Deserialize)]
pub struct User<'a> {
    #[serde(borrow, default)]
    pub username: Option<Cow<'a, str>>,
}

#[derive(Debug, Deserialize)]
pub struct ObjectRef<'a> {
    #[serde(borrow, default)]
    pub resource: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub namespace: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub uid: Option<Cow<'a, str>>,
    #[serde(rename = "apiGroup", borrow, default)]
    pub api_group: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub subresource: Option<Cow<'a, str>>,
}

#[derive(Debug, Deserialize)]
pub struct ResponseStatus {
    #[serde(default)]
    pub code: Option<i32>,
}

/// Object metadata as found in request/response bodies.
#[derive(Debug, Deserialize)]
pub struct ObjectMeta<'a> {
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub namespace: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub uid: Option<Cow<'a, str>>,
    #[serde(rename = "creationTimestamp", borrow, default)]
    pub creation_timestamp: Option<Cow<'a, str>>,
}

/// Just enough of a Pod (or a pod status patch) for the timeline.
#[derive(Debug, Deserialize)]
pub struct PodLike<'a> {
    #[serde(borrow, default)]
    pub metadata: Option<ObjectMeta<'a>>,
    #[serde(borrow, default)]
    pub spec: Option<PodSpec<'a>>,
    #[serde(borrow, default)]
    pub status: Option<PodStatus<'a>>,
    /// A `v1.Binding` names its node here.
    #[serde(borrow, default)]
    pub target: Option<ObjectMeta<'a>>,
}

#[derive(Debug, Deserialize)]
pub struct PodSpec<'a> {
    #[serde(rename = "nodeName", borrow, default)]
    pub node_name: Option<Cow<'a, str>>,
}

#[derive(Debug, Deserialize)]
pub struct PodStatus<'a> {
    #[serde(borrow, default)]
    pub conditions: Option<Vec<Condition<'a>>>,
    #[serde(rename = "podIP", borrow, default)]
    pub pod_ip: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub phase: Option<Cow<'a, str>>,
}

#[derive(Debug, Deserialize)]
pub struct Condition<'a> {
    #[serde(rename = "type", borrow, default)]
    pub type_: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub status: Option<Cow<'a, str>>,
    #[serde(rename = "lastTransitionTime", borrow, default)]
    pub last_transition_time: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub reason: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub message: Option<Cow<'a, str>>,
}

/// Parses one audit line.
pub fn parse(line: &str) -> Result<Event<'_>, serde_json::Error> {
    serde_json::from_str(line)
}

/// Parses a request or response body.
pub fn parse_pod(raw: &RawValue) -> Result<PodLike<'_>, serde_json::Error> {
    serde_json::from_str(raw.get())
}

/// Cheap test: an audit event line (before paying for JSON).
#[inline]
pub fn looks_like(line: &[u8]) -> bool {
    // Some tools re-serialise events without `apiVersion` (sorted keys): fall back to the fields
    // every audit event has.
    line.first() == Some(&b'{')
        && (memchr::memmem::find(line, b"audit.k8s.io").is_some()
            || (memchr::memmem::find(line, b"\"auditID\"").is_some()
                && memchr::memmem::find(line, b"\"stage\"").is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_status_patch_v1() {
        let line = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"e13c","stage":"ResponseComplete","verb":"patch","user":{"username":"nodeclient"},"objectRef":{"resource":"pods","namespace":"default","name":"nginx","subresource":"status"},"responseStatus":{"metadata":{},"code":200},"requestObject":{"status":{"conditions":[{"lastTransitionTime":"2019-09-20T12:56:55Z","status":"True","type":"Ready"}],"podIP":"10.1.2.3"}},"requestReceivedTimestamp":"2019-09-20T12:56:55.062985Z","stageTimestamp":"2019-09-20T12:56:55.068391Z"}"#;
        let e = parse(line).unwrap();
        assert_eq!(e.verb.as_deref(), Some("patch"));
        let o = e.object_ref.as_ref().unwrap();
        assert_eq!(o.subresource.as_deref(), Some("status"));
        assert_eq!(e.response_status.unwrap().code, Some(200));
        let p = parse_pod(e.request_object.unwrap()).unwrap();
        let st = p.status.unwrap();
        assert_eq!(st.pod_ip.as_deref(), Some("10.1.2.3"));
        assert_eq!(st.conditions.unwrap()[0].type_.as_deref(), Some("Ready"));
    }

    #[test]
    fn damaged_line_is_an_error_not_a_panic() {
        assert!(
            parse(r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":Metadata"}"#).is_err()
        );
        assert!(looks_like(
            br#"{"kind":"Event","apiVersion":"audit.k8s.io/v1"}"#
        ));
        assert!(!looks_like(b"I0101 00:00:00.000000 1 x.go:1] \"m\""));
    }
}
