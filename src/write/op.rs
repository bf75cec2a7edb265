//! The opcode bytes the writer uses, from the one opcode table ([`crate::opcode`]).

use crate::opcode::Opcode;

macro_rules! bytes {
    ($($name:ident = $variant:ident,)*) => {
        $(pub(crate) const $name: u8 = Opcode::$variant as u8;)*
    };
}

bytes! {
    MARK = Mark,
    STOP = Stop,
    LONG = Long,
    NONE = None,
    REDUCE = Reduce,
    BUILD = Build,
    UNICODE = Unicode,
    BINUNICODE = BinUnicode,
    APPEND = Append,
    APPENDS = Appends,
    GLOBAL = Global,
    DICT = Dict,
    EMPTY_DICT = EmptyDict,
    BINGET = BinGet,
    LONG_BINGET = LongBinGet,
    LIST = List,
    EMPTY_LIST = EmptyList,
    BINPUT = BinPut,
    LONG_BINPUT = LongBinPut,
    SETITEM = SetItem,
    SETITEMS = SetItems,
    TUPLE = Tuple,
    EMPTY_TUPLE = EmptyTuple,
    BININT = BinInt,
    BININT1 = BinInt1,
    BININT2 = BinInt2,
    BINFLOAT = BinFloat,
    PROTO = Proto,
    NEWOBJ = NewObj,
    NEWOBJ_EX = NewObjEx,
    TUPLE1 = Tuple1,
    TUPLE2 = Tuple2,
    TUPLE3 = Tuple3,
    NEWTRUE = NewTrue,
    NEWFALSE = NewFalse,
    LONG1 = Long1,
    LONG4 = Long4,
    BINBYTES = BinBytes,
    SHORT_BINBYTES = ShortBinBytes,
    SHORT_BINUNICODE = ShortBinUnicode,
    BINUNICODE8 = BinUnicode8,
    BINBYTES8 = BinBytes8,
    EMPTY_SET = EmptySet,
    ADDITEMS = AddItems,
    FROZENSET = FrozenSet,
    STACK_GLOBAL = StackGlobal,
    MEMOIZE = Memoize,
    BYTEARRAY8 = ByteArray8,
}
