//! The values the ledger stores and reads, the same on both stores: integers (booleans as 0/1),
//! reals, text and bytes, and the conversions from and to Rust types.

use super::DbError;

/// One SQL value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// NULL.
    Null,
    /// An integer (SQLite INTEGER, PostgreSQL BIGINT/INTEGER/SMALLINT; a boolean is 0 or 1).
    Integer(i64),
    /// A floating-point number.
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes (SQLite BLOB, PostgreSQL BYTEA).
    Blob(Vec<u8>),
}

impl Value {
    /// The value's kind, for error messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Integer(_) => "integer",
            Self::Real(_) => "real",
            Self::Text(_) => "text",
            Self::Blob(_) => "blob",
        }
    }
}

/// A Rust value that can be bound as a query parameter.
pub trait ToValue {
    /// The value to bind.
    fn to_value(&self) -> Value;
}

/// A Rust value that can be read from a column.
pub trait FromValue: Sized {
    /// Reads `value` (of column `column`, for errors).
    fn from_value(value: &Value, column: usize) -> Result<Self, DbError>;
}

fn wrong(value: &Value, column: usize, wanted: &'static str) -> DbError {
    DbError::Conversion {
        column,
        wanted,
        found: value.kind(),
    }
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}

impl FromValue for Value {
    fn from_value(value: &Value, _column: usize) -> Result<Self, DbError> {
        Ok(value.clone())
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: &Value, column: usize) -> Result<Self, DbError> {
        match value {
            Value::Null => Ok(None),
            v => T::from_value(v, column).map(Some),
        }
    }
}

impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}

impl FromValue for String {
    fn from_value(value: &Value, column: usize) -> Result<Self, DbError> {
        match value {
            Value::Text(s) => Ok(s.clone()),
            v => Err(wrong(v, column, "text")),
        }
    }
}

impl ToValue for [u8] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}

impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Blob(self.clone())
    }
}

impl FromValue for Vec<u8> {
    fn from_value(value: &Value, column: usize) -> Result<Self, DbError> {
        match value {
            Value::Blob(b) => Ok(b.clone()),
            v => Err(wrong(v, column, "blob")),
        }
    }
}

impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Integer(i64::from(*self))
    }
}

impl FromValue for bool {
    fn from_value(value: &Value, column: usize) -> Result<Self, DbError> {
        match value {
            Value::Integer(i) => Ok(*i != 0),
            v => Err(wrong(v, column, "boolean")),
        }
    }
}

impl ToValue for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}

impl FromValue for f64 {
    fn from_value(value: &Value, column: usize) -> Result<Self, DbError> {
        match value {
            Value::Real(r) => Ok(*r),
            #[allow(clippy::cast_precision_loss)] // SQLite stores a whole REAL as an integer
            Value::Integer(i) => Ok(*i as f64),
            v => Err(wrong(v, column, "real")),
        }
    }
}

/// Integers of every width the ledger binds and reads; a read out of range is an error.
macro_rules! integers {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                Value::Integer(i64::try_from(*self).unwrap_or(i64::MAX))
            }
        }

        impl FromValue for $t {
            fn from_value(value: &Value, column: usize) -> Result<Self, DbError> {
                match value {
                    Value::Integer(i) => <$t>::try_from(*i)
                        .map_err(|_| wrong(value, column, stringify!($t))),
                    v => Err(wrong(v, column, stringify!($t))),
                }
            }
        }
    )*};
}

integers!(i64, i32, u32, u16, u8, u64, usize);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_convert_both_ways_and_refuse_the_wrong_kind() {
        assert_eq!(true.to_value(), Value::Integer(1));
        assert!(bool::from_value(&Value::Integer(0), 0).is_ok_and(|b| !b));
        assert_eq!(u16::from_value(&Value::Integer(443), 0).unwrap(), 443);
        assert!(u16::from_value(&Value::Integer(70_000), 3).is_err());
        assert_eq!(Option::<String>::from_value(&Value::Null, 0).unwrap(), None);
        assert_eq!(Some("x").to_value(), Value::Text("x".into()));
        assert_eq!(None::<i64>.to_value(), Value::Null);
        assert!((f64::from_value(&Value::Integer(2), 0).unwrap() - 2.0).abs() < f64::EPSILON);
        let err = String::from_value(&Value::Integer(1), 4)
            .unwrap_err()
            .to_string();
        assert!(err.contains("column 4") && err.contains("text"), "{err}");
    }
}
