//! The table of every pickle opcode of protocols 0–5.
//!
//! One macro list gives each opcode its byte, its `pickletools` name, the kind of argument
//! that follows it in the stream and the protocol that introduced it; the enum, the lookup
//! from a byte and the name table are all generated from that list, so they cannot drift.

/// The kind of argument that follows an opcode byte in the stream (pickletools' names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ArgKind {
    /// No argument.
    None,
    /// One unsigned byte.
    Uint1,
    /// Two bytes, unsigned little-endian.
    Uint2,
    /// Four bytes, unsigned little-endian.
    Uint4,
    /// Eight bytes, unsigned little-endian.
    Uint8,
    /// Four bytes, signed little-endian.
    Int4,
    /// A decimal integer (or `00`/`01` for a bool) ending in a newline.
    DecimalnlShort,
    /// A decimal integer with an optional trailing `L`, ending in a newline.
    DecimalnlLong,
    /// A float in text form ending in a newline.
    Floatnl,
    /// Eight bytes, a big-endian IEEE 754 double.
    Float8,
    /// A quoted, backslash-escaped byte string ending in a newline.
    Stringnl,
    /// A line of text without escapes (PERSID's id).
    StringnlNoescape,
    /// Two lines of text without escapes (GLOBAL/INST's module and name).
    StringnlNoescapePair,
    /// A raw-unicode-escape encoded line of text.
    Unicodestringnl,
    /// A one-byte length, then that many bytes of a byte string.
    String1,
    /// A signed four-byte length, then that many bytes of a byte string.
    String4,
    /// A one-byte length, then that many bytes.
    Bytes1,
    /// A four-byte length, then that many bytes.
    Bytes4,
    /// An eight-byte length, then that many bytes.
    Bytes8,
    /// An eight-byte length, then that many bytes of a bytearray.
    Bytearray8,
    /// A one-byte length, then that many bytes of UTF-8.
    Unicodestring1,
    /// A four-byte length, then that many bytes of UTF-8.
    Unicodestring4,
    /// An eight-byte length, then that many bytes of UTF-8.
    Unicodestring8,
    /// A one-byte length, then a little-endian two's-complement integer of that many bytes.
    Long1,
    /// A signed four-byte length, then a little-endian two's-complement integer.
    Long4,
}

macro_rules! for_each_opcode {
    ($m:ident) => {
        $m! {
            (Mark, b'(', "MARK", None, 0),
            (Stop, b'.', "STOP", None, 0),
            (Pop, b'0', "POP", None, 0),
            (PopMark, b'1', "POP_MARK", None, 1),
            (Dup, b'2', "DUP", None, 0),
            (Float, b'F', "FLOAT", Floatnl, 0),
            (Int, b'I', "INT", DecimalnlShort, 0),
            (BinInt, b'J', "BININT", Int4, 1),
            (BinInt1, b'K', "BININT1", Uint1, 1),
            (Long, b'L', "LONG", DecimalnlLong, 0),
            (BinInt2, b'M', "BININT2", Uint2, 1),
            (None, b'N', "NONE", None, 0),
            (PersId, b'P', "PERSID", StringnlNoescape, 0),
            (BinPersId, b'Q', "BINPERSID", None, 1),
            (Reduce, b'R', "REDUCE", None, 0),
            (String, b'S', "STRING", Stringnl, 0),
            (BinString, b'T', "BINSTRING", String4, 1),
            (ShortBinString, b'U', "SHORT_BINSTRING", String1, 1),
            (Unicode, b'V', "UNICODE", Unicodestringnl, 0),
            (BinUnicode, b'X', "BINUNICODE", Unicodestring4, 1),
            (Append, b'a', "APPEND", None, 0),
            (Build, b'b', "BUILD", None, 0),
            (Global, b'c', "GLOBAL", StringnlNoescapePair, 0),
            (Dict, b'd', "DICT", None, 0),
            (EmptyDict, b'}', "EMPTY_DICT", None, 1),
            (Appends, b'e', "APPENDS", None, 1),
            (Get, b'g', "GET", DecimalnlShort, 0),
            (BinGet, b'h', "BINGET", Uint1, 1),
            (Inst, b'i', "INST", StringnlNoescapePair, 0),
            (LongBinGet, b'j', "LONG_BINGET", Uint4, 1),
            (List, b'l', "LIST", None, 0),
            (EmptyList, b']', "EMPTY_LIST", None, 1),
            (Obj, b'o', "OBJ", None, 1),
            (Put, b'p', "PUT", DecimalnlShort, 0),
            (BinPut, b'q', "BINPUT", Uint1, 1),
            (LongBinPut, b'r', "LONG_BINPUT", Uint4, 1),
            (SetItem, b's', "SETITEM", None, 0),
            (Tuple, b't', "TUPLE", None, 0),
            (EmptyTuple, b')', "EMPTY_TUPLE", None, 1),
            (SetItems, b'u', "SETITEMS", None, 1),
            (BinFloat, b'G', "BINFLOAT", Float8, 1),
            (Proto, 0x80, "PROTO", Uint1, 2),
            (NewObj, 0x81, "NEWOBJ", None, 2),
            (Ext1, 0x82, "EXT1", Uint1, 2),
            (Ext2, 0x83, "EXT2", Uint2, 2),
            (Ext4, 0x84, "EXT4", Int4, 2),
            (Tuple1, 0x85, "TUPLE1", None, 2),
            (Tuple2, 0x86, "TUPLE2", None, 2),
            (Tuple3, 0x87, "TUPLE3", None, 2),
            (NewTrue, 0x88, "NEWTRUE", None, 2),
            (NewFalse, 0x89, "NEWFALSE", None, 2),
            (Long1, 0x8a, "LONG1", Long1, 2),
            (Long4, 0x8b, "LONG4", Long4, 2),
            (BinBytes, b'B', "BINBYTES", Bytes4, 3),
            (ShortBinBytes, b'C', "SHORT_BINBYTES", Bytes1, 3),
            (ShortBinUnicode, 0x8c, "SHORT_BINUNICODE", Unicodestring1, 4),
            (BinUnicode8, 0x8d, "BINUNICODE8", Unicodestring8, 4),
            (BinBytes8, 0x8e, "BINBYTES8", Bytes8, 4),
            (EmptySet, 0x8f, "EMPTY_SET", None, 4),
            (AddItems, 0x90, "ADDITEMS", None, 4),
            (FrozenSet, 0x91, "FROZENSET", None, 4),
            (NewObjEx, 0x92, "NEWOBJ_EX", None, 4),
            (StackGlobal, 0x93, "STACK_GLOBAL", None, 4),
            (Memoize, 0x94, "MEMOIZE", None, 4),
            (Frame, 0x95, "FRAME", Uint8, 4),
            (ByteArray8, 0x96, "BYTEARRAY8", Bytearray8, 5),
            (NextBuffer, 0x97, "NEXT_BUFFER", None, 5),
            (ReadonlyBuffer, 0x98, "READONLY_BUFFER", None, 5),
        }
    };
}

macro_rules! define_opcodes {
    ($(($variant:ident, $byte:expr, $name:literal, $arg:ident, $proto:literal),)*) => {
        /// A pickle opcode. The discriminant is the opcode's byte in the stream.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum Opcode {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant = $byte,
            )*
        }

        impl Opcode {
            /// Every opcode of protocols 0–5.
            pub const ALL: &'static [Opcode] = &[$(Opcode::$variant,)*];

            /// The opcode whose byte is `byte`, if there is one.
            #[inline]
            pub fn from_byte(byte: u8) -> Option<Opcode> {
                BY_BYTE[usize::from(byte)]
            }

            /// The opcode's byte in the stream.
            #[inline]
            pub fn byte(self) -> u8 {
                self as u8
            }

            /// The name `pickletools` gives the opcode, e.g. `"SHORT_BINUNICODE"`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Opcode::$variant => $name,)*
                }
            }

            /// The kind of argument that follows the opcode byte.
            pub const fn arg_kind(self) -> ArgKind {
                match self {
                    $(Opcode::$variant => ArgKind::$arg,)*
                }
            }

            /// The pickle protocol that introduced the opcode.
            pub fn protocol(self) -> u8 {
                match self {
                    $(Opcode::$variant => $proto,)*
                }
            }
        }

        static BY_BYTE: [Option<Opcode>; 256] = {
            let mut table = [None; 256];
            $(table[$byte as usize] = Some(Opcode::$variant);)*
            table
        };
    };
}

for_each_opcode!(define_opcodes);

impl std::fmt::Display for Opcode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The highest pickle protocol this crate reads (and CPython 3.11 writes).
pub const HIGHEST_PROTOCOL: u8 = 5;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        assert_eq!(Opcode::ALL.len(), 68);
        for &op in Opcode::ALL {
            assert_eq!(Opcode::from_byte(op.byte()), Some(op));
        }
        let known = (0..=255u8)
            .filter(|&b| Opcode::from_byte(b).is_some())
            .count();
        assert_eq!(known, 68);
    }
}
