//! Loki's push messages (`pkg/push/push.proto`), written out by hand so the build
//! needs no protoc. Field numbers and types match Loki's, which is all the wire
//! format sees; the names are Loki's `*Adapter` ones.

/// `logproto.PushRequest`: what Promtail, Alloy, Vector and winston-loki send,
/// snappy-compressed (block format).
#[derive(Clone, PartialEq, prost::Message)]
pub struct PushRequest {
    #[prost(message, repeated, tag = "1")]
    pub streams: Vec<StreamAdapter>,
}

/// One stream: its labels as a selector string (`{job="api"}`) and its entries.
#[derive(Clone, PartialEq, prost::Message)]
pub struct StreamAdapter {
    #[prost(string, tag = "1")]
    pub labels: String,
    #[prost(message, repeated, tag = "2")]
    pub entries: Vec<EntryAdapter>,
    /// Set by some clients for Loki's sharding; ignored here.
    #[prost(uint64, tag = "3")]
    pub hash: u64,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct EntryAdapter {
    #[prost(message, optional, tag = "1")]
    pub timestamp: Option<ProtoTimestamp>,
    #[prost(string, tag = "2")]
    pub line: String,
    #[prost(message, repeated, tag = "3")]
    pub structured_metadata: Vec<LabelPairAdapter>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct LabelPairAdapter {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub value: String,
}

/// `google.protobuf.Timestamp`.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct ProtoTimestamp {
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

impl PushRequest {
    /// The body Promtail sends: protobuf, then snappy's block format.
    pub fn to_snappy(&self) -> Vec<u8> {
        use prost::Message as _;
        // Compressing an in-memory buffer cannot fail short of exhausting memory.
        snap::raw::Encoder::new()
            .compress_vec(&self.encode_to_vec())
            .unwrap_or_default()
    }
}

impl EntryAdapter {
    /// One entry: a timestamp, a line and its structured metadata.
    pub fn new(seconds: i64, nanos: i32, line: &str, metadata: &[(&str, &str)]) -> Self {
        EntryAdapter {
            timestamp: Some(ProtoTimestamp { seconds, nanos }),
            line: line.into(),
            structured_metadata: metadata
                .iter()
                .map(|(n, v)| LabelPairAdapter {
                    name: (*n).to_owned(),
                    value: (*v).to_owned(),
                })
                .collect(),
        }
    }
}
