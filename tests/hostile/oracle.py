"""What CPython does, for the cases tests/hostile.rs says follow CPython.

Run: python3 tests/hostile/oracle.py > tests/hostile/oracle.tsv

Every payload goes through tests/data/restricted.py's RestrictedUnpickler (the C
unpickler with an allowlist find_class); nothing here calls pickle.loads on untrusted
data. Each line prints the case name, the payload and the outcome: repr of the value, or
the exception type and message (REFUSED module.name for a refusal).

Output: one line per case, tab-separated: name, payload in hex, encoding, outcome (with
backslashes and control characters as \\xNN). The output is committed as
tests/hostile/oracle.tsv; `hostile::cpython_oracle_agrees` compares every line with what
this crate does (the same outcome, or a difference listed there with its reason), and
re-runs this script to check the committed file is what CPython prints.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "data"))
from restricted import Refused, restricted_loads  # noqa: E402

CASES = [
    # STOP returns the top of the stack, whatever is below it (and a mark below it).
    ("stop_returns_top", b"K\x01K\x02.", {}),
    ("stop_above_mark", b"K\x01(K\x02.", {}),
    ("stop_on_mark", b"K\x01(.", {}),
    # POP of a mark at the top of the stack pops the mark.
    ("pop_of_mark", b"K\x01(0.", {}),
    # SETITEM on a list assigns by index.
    ("setitem_list", b"]Na K\x00K\x05s.".replace(b" ", b""), {}),
    ("setitem_list_out_of_range", b"]K\x00K\x05s.", {}),
    # APPENDS/SETITEMS/ADDITEMS with nothing after the mark leave any target alone.
    ("appends_empty_on_int", b"K\x01(e.", {}),
    ("setitems_empty_on_int", b"K\x01(u.", {}),
    # BUILD with state None on a built-in object.
    ("build_none_on_list", b"]Nb.", {}),
    ("build_dict_on_list", b"]}b.", {}),
    ("build_none_none_pair", b"]NN\x86b.", {}),
    ("build_empty_slotstate", b"]N}\x86b.", {}),
    ("build_slotstate_attr", b"]N}\x8c\x01aK\x01s\x86b.", {}),
    ("build_slotstate_int_key", b"]N}K\x01K\x01s\x86b.", {}),
    ("build_dict_and_slotstate", b"]}}\x86b.", {}),
    # Python 2 names are mapped below protocol 3 only (the policy sees the mapped name).
    ("py2_builtin_set_p0", b"c__builtin__\nset\n(]tR.", {}),
    ("py2_builtin_set_p2", b"\x80\x02c__builtin__\nset\n]\x85R.", {}),
    ("py2_builtin_set_p3", b"\x80\x03c__builtin__\nset\n]\x85R.", {}),
    ("py2_stack_global_p2", b"\x80\x02\x8c\x0b__builtin__\x8c\x03set\x93]\x85R.", {}),
    ("py2_stack_global_p4", b"\x80\x04\x8c\x0b__builtin__\x8c\x03set\x93]\x85R.", {}),
    ("py2_builtin_eval_p0", b"c__builtin__\neval\n(S'id'\ntR.", {}),
    ("py2_builtin_eval_p3", b"\x80\x03c__builtin__\neval\n(S'id'\ntR.", {}),
    ("py2_copy_reg_p2", b"\x80\x02ccopy_reg\n_reconstructor\n.", {}),
    ("py2_copy_reg_p4", b"\x80\x04ccopy_reg\n_reconstructor\n.", {}),
    ("py2_reduce_p2", b"\x80\x02c__builtin__\nreduce\n.", {}),
    ("py2_cpickle_p2", b"\x80\x02ccPickle\nloads\n.", {}),
    # Names are exact: no NUL truncation, no CR stripping, no dotted walk for policy.
    ("name_with_nul", b"cbuiltins\nset\x00\n(]tR.", {}),
    ("name_with_cr", b"cbuiltins\r\nset\r\n(]tR.", {}),
    # STACK_GLOBAL needs str operands; a protocol-0 STRING is a str under ASCII, bytes
    # under encoding='bytes'.
    ("stack_global_int", b"\x80\x04K\x01\x8c\x03set\x93.", {}),
    ("stack_global_string_ascii", b"S'builtins'\nS'set'\n\x93.", {}),
    ("stack_global_string_bytes", b"S'builtins'\nS'set'\n\x93.", {"encoding": "bytes"}),
    # Malformed text arguments.
    ("int_junk", b"Iabc\n.", {}),
    ("int_bool", b"I01\n.", {}),
    ("float_junk", b"Fabc\n.", {}),
    ("string_unquoted", b"Sabc\n.", {}),
    ("string_unbalanced", b"S'abc\"\n.", {}),
    ("string_bad_hex_escape", b"S'\\x4'\n.", {}),
    ("string_trailing_backslash", b"S'\\'\n.", {}),
    ("string_bad_hex_digits", b"S'\\xzz'\n.", {}),
    ("proto_6", b"\x80\x06N.", {}),
    ("proto_255", b"\x80\xffN.", {}),
    # Memo indices.
    ("get_unset", b"h\x05.", {}),
    ("long_binget_max", b"j\xff\xff\xff\xff.", {}),
    ("long_binput_2_31", b"Nr\x00\x00\x00\x80j\x00\x00\x00\x80.", {}),
    ("put_negative", b"Np-1\n.", {}),
    # Extension codes with an empty registry.
    ("ext1_unregistered", b"\x80\x02\x82\x01.", {}),
    ("ext4_zero", b"\x80\x02\x84\x00\x00\x00\x00.", {}),
    # Strict-preset constructors with wrong argument shapes.
    ("set_of_int", b"cbuiltins\nset\n(K\x01tR.", {}),
    ("set_of_list_of_list", b"cbuiltins\nset\n(]]atR.", {}),
    ("codecs_encode_int", b"c_codecs\nencode\n(K\x01S'latin1'\ntR.", {}),
    ("set_called_again", b"cbuiltins\nset\n)R)R.", {}),
    ("int_called", b"K\x01)R.", {}),
    ("unhashable_key", b"}]Ns.", {}),
    ("odd_setitems", b"}(K\x01u.", {}),
    ("setitems_no_mark", b"}K\x01K\x02u.", {}),
    ("pop_mark_no_mark", b"1.", {}),
    ("lone_surrogate_binunicode", b"X\x03\x00\x00\x00\xed\xa0\x80.", {}),
    ("invalid_utf8_binunicode", b"X\x02\x00\x00\x00\xff\xfe.", {}),
    ("data_after_stop", b"N.N.", {}),
]


def main():
    for name, data, kwargs in CASES:
        try:
            out = repr(restricted_loads(data, **kwargs))
        except Refused as e:
            out = f"REFUSED {e.module}.{e.name}"
        except Exception as e:  # report every failure the way CPython raised it
            out = f"{type(e).__name__}: {e}"
        out = "".join(c if " " <= c != "\\" else "\\x%02x" % ord(c) for c in out)
        encoding = kwargs.get("encoding", "ASCII")
        print(f"{name}\t{data.hex()}\t{encoding}\t{out}")


if __name__ == "__main__":
    main()
