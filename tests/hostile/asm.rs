//! A tiny test-only pickle assembler: hostile payloads are written as opcode calls, never
//! produced by running Python.
#![allow(dead_code)]

/// A pickle under construction. Every method appends one opcode (with its argument).
#[derive(Clone, Default)]
pub struct Asm(pub Vec<u8>);

impl Asm {
    pub fn new() -> Asm {
        Asm(Vec::new())
    }

    /// `PROTO p` followed by nothing else.
    pub fn proto(p: u8) -> Asm {
        Asm(vec![0x80, p])
    }

    pub fn bytes(&self) -> Vec<u8> {
        self.0.clone()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Raw bytes, as they are.
    pub fn raw(mut self, b: &[u8]) -> Asm {
        self.0.extend_from_slice(b);
        self
    }

    /// One opcode byte without argument.
    pub fn op(mut self, b: u8) -> Asm {
        self.0.push(b);
        self
    }

    /// The same opcode byte `n` times.
    pub fn repeat(mut self, b: &[u8], n: usize) -> Asm {
        self.0.reserve(b.len() * n);
        for _ in 0..n {
            self.0.extend_from_slice(b);
        }
        self
    }

    // ---- structure ----
    pub fn mark(self) -> Asm {
        self.op(b'(')
    }
    pub fn stop(self) -> Asm {
        self.op(b'.')
    }
    pub fn pop(self) -> Asm {
        self.op(b'0')
    }
    pub fn pop_mark(self) -> Asm {
        self.op(b'1')
    }
    pub fn dup(self) -> Asm {
        self.op(b'2')
    }
    pub fn frame(self, n: u64) -> Asm {
        self.op(0x95).raw(&n.to_le_bytes())
    }

    // ---- scalars ----
    pub fn none(self) -> Asm {
        self.op(b'N')
    }
    pub fn int_text(self, t: &str) -> Asm {
        self.op(b'I').raw(t.as_bytes()).op(b'\n')
    }
    pub fn long_text(self, t: &str) -> Asm {
        self.op(b'L').raw(t.as_bytes()).op(b'\n')
    }
    pub fn float_text(self, t: &str) -> Asm {
        self.op(b'F').raw(t.as_bytes()).op(b'\n')
    }
    pub fn binint(self, i: i32) -> Asm {
        self.op(b'J').raw(&i.to_le_bytes())
    }
    pub fn binint1(self, i: u8) -> Asm {
        self.op(b'K').op(i)
    }
    pub fn binint2(self, i: u16) -> Asm {
        self.op(b'M').raw(&i.to_le_bytes())
    }
    pub fn long1(self, b: &[u8]) -> Asm {
        self.op(0x8a).op(b.len() as u8).raw(b)
    }
    pub fn long4(self, b: &[u8]) -> Asm {
        self.op(0x8b).raw(&(b.len() as i32).to_le_bytes()).raw(b)
    }
    pub fn binfloat(self, f: f64) -> Asm {
        self.op(b'G').raw(&f.to_be_bytes())
    }
    pub fn string_text(self, quoted: &str) -> Asm {
        self.op(b'S').raw(quoted.as_bytes()).op(b'\n')
    }
    pub fn unicode_text(self, t: &str) -> Asm {
        self.op(b'V').raw(t.as_bytes()).op(b'\n')
    }
    pub fn short_binstring(self, b: &[u8]) -> Asm {
        self.op(b'U').op(b.len() as u8).raw(b)
    }
    pub fn binstring(self, b: &[u8]) -> Asm {
        self.op(b'T').raw(&(b.len() as i32).to_le_bytes()).raw(b)
    }
    pub fn short_binunicode(self, s: &str) -> Asm {
        self.short_binunicode_raw(s.as_bytes())
    }
    pub fn short_binunicode_raw(self, b: &[u8]) -> Asm {
        self.op(0x8c).op(b.len() as u8).raw(b)
    }
    pub fn binunicode(self, s: &str) -> Asm {
        self.binunicode_raw(s.as_bytes())
    }
    pub fn binunicode_raw(self, b: &[u8]) -> Asm {
        self.op(b'X').raw(&(b.len() as u32).to_le_bytes()).raw(b)
    }
    pub fn binunicode8(self, s: &str) -> Asm {
        self.op(0x8d)
            .raw(&(s.len() as u64).to_le_bytes())
            .raw(s.as_bytes())
    }
    pub fn short_binbytes(self, b: &[u8]) -> Asm {
        self.op(b'C').op(b.len() as u8).raw(b)
    }
    pub fn binbytes(self, b: &[u8]) -> Asm {
        self.op(b'B').raw(&(b.len() as u32).to_le_bytes()).raw(b)
    }

    // ---- containers ----
    pub fn empty_list(self) -> Asm {
        self.op(b']')
    }
    pub fn empty_tuple(self) -> Asm {
        self.op(b')')
    }
    pub fn empty_dict(self) -> Asm {
        self.op(b'}')
    }
    pub fn empty_set(self) -> Asm {
        self.op(0x8f)
    }
    pub fn list(self) -> Asm {
        self.op(b'l')
    }
    pub fn tuple(self) -> Asm {
        self.op(b't')
    }
    pub fn dict(self) -> Asm {
        self.op(b'd')
    }
    pub fn tuple1(self) -> Asm {
        self.op(0x85)
    }
    pub fn tuple2(self) -> Asm {
        self.op(0x86)
    }
    pub fn tuple3(self) -> Asm {
        self.op(0x87)
    }
    pub fn append(self) -> Asm {
        self.op(b'a')
    }
    pub fn appends(self) -> Asm {
        self.op(b'e')
    }
    pub fn setitem(self) -> Asm {
        self.op(b's')
    }
    pub fn setitems(self) -> Asm {
        self.op(b'u')
    }
    pub fn additems(self) -> Asm {
        self.op(0x90)
    }
    pub fn frozenset(self) -> Asm {
        self.op(0x91)
    }

    // ---- memo ----
    pub fn put(self, i: &str) -> Asm {
        self.op(b'p').raw(i.as_bytes()).op(b'\n')
    }
    pub fn get(self, i: &str) -> Asm {
        self.op(b'g').raw(i.as_bytes()).op(b'\n')
    }
    pub fn binput(self, i: u8) -> Asm {
        self.op(b'q').op(i)
    }
    pub fn binget(self, i: u8) -> Asm {
        self.op(b'h').op(i)
    }
    pub fn long_binput(self, i: u32) -> Asm {
        self.op(b'r').raw(&i.to_le_bytes())
    }
    pub fn long_binget(self, i: u32) -> Asm {
        self.op(b'j').raw(&i.to_le_bytes())
    }
    pub fn memoize(self) -> Asm {
        self.op(0x94)
    }

    // ---- globals and calls ----
    pub fn global(self, module: &str, name: &str) -> Asm {
        self.global_raw(module.as_bytes(), name.as_bytes())
    }
    pub fn global_raw(self, module: &[u8], name: &[u8]) -> Asm {
        self.op(b'c').raw(module).op(b'\n').raw(name).op(b'\n')
    }
    pub fn inst(self, module: &str, name: &str) -> Asm {
        self.op(b'i')
            .raw(module.as_bytes())
            .op(b'\n')
            .raw(name.as_bytes())
            .op(b'\n')
    }
    /// SHORT_BINUNICODE module, SHORT_BINUNICODE name, STACK_GLOBAL.
    pub fn stack_global(self, module: &str, name: &str) -> Asm {
        self.unicode_any(module).unicode_any(name).op(0x93)
    }
    /// The shortest binary str opcode for `s`.
    pub fn unicode_any(self, s: &str) -> Asm {
        if s.len() < 256 {
            self.short_binunicode(s)
        } else {
            self.binunicode(s)
        }
    }
    pub fn stack_global_op(self) -> Asm {
        self.op(0x93)
    }
    pub fn reduce(self) -> Asm {
        self.op(b'R')
    }
    pub fn build(self) -> Asm {
        self.op(b'b')
    }
    pub fn obj(self) -> Asm {
        self.op(b'o')
    }
    pub fn newobj(self) -> Asm {
        self.op(0x81)
    }
    pub fn newobj_ex(self) -> Asm {
        self.op(0x92)
    }
    pub fn ext1(self, c: u8) -> Asm {
        self.op(0x82).op(c)
    }
    pub fn ext2(self, c: u16) -> Asm {
        self.op(0x83).raw(&c.to_le_bytes())
    }
    pub fn ext4(self, c: i32) -> Asm {
        self.op(0x84).raw(&c.to_le_bytes())
    }
    pub fn persid(self, id: &str) -> Asm {
        self.op(b'P').raw(id.as_bytes()).op(b'\n')
    }
    pub fn binpersid(self) -> Asm {
        self.op(b'Q')
    }
}
