"""Built-in English parameters for the Punkt-style sentence splitter (verifiers.ifeval.punkt).

ABBREVIATIONS, COLLOCATIONS, SENT_STARTERS and LOWER_STARTERS are the values of the
corresponding parameters of NLTK's pretrained English Punkt model, which the IFEval
reference uses (they are short lists of plain tokens). The model's 20k-word
orthographic table is *not* reproduced: STARTER_WORDS and MIXED_WORDS are this
project's own lists of common English words, used by :func:`punkt.ortho_class` in its
place (docs/ifeval.md, "Sentence and word splitting").
"""

from __future__ import annotations

ABBREVIATIONS = frozenset("""
a.a a.c a.d a.g a.h a.m a.m.e a.s a.t adm ala ariz aug ave b.f b.v bros c c.i.t c.o.m.b c.v
calif chg cie co col colo conn corp cos ct d d.c d.h d.w dec dr e e.f e.h e.l e.m f f.g f.j feb fla
fri ft g g.d g.f g.k ga gen h h.c h.f h.m i.m.s ill inc j.b j.c j.j j.k j.p j.r jan jr k kan ky l
l.a l.f l.p lt ltd m m.b.a m.d.c m.j maj messrs mg mich minn mr mrs ms n n.c n.d n.h n.j n.m n.v n.y
nev nov oct ok okla ore p p.a.m p.m pa ph.d prof r r.a r.h r.i r.j r.k r.t rep reps s s.a s.a.y s.c
s.g s.p.a s.s sen sep sept sr st sw t t.j tenn tues u.k u.n u.s u.s.a u.s.s.r v va vs vt w w.c w.r
w.va w.w wash wed wis yr
""".split()) | {". ."}  # sic: a learned type with a space

COLLOCATIONS = frozenset(
    [("##number##", w) for w in (
        "abreast aes business cbot colgate commodities cooper corrections credit dividend financing "
        "genentech henley insider international leisure letters notable pay-fone pegasus pepper "
        "review rj wedgestone who zimmer").split()]
    + [("b", w) for w in ("edelman", "levine", "smith", "stewart", "wigton")]
    + [("i", "magnin"), ("i", "toussie"), ("j", "aron"), ("j", "fialka"), ("j", "walter"),
       ("o", "ludcke")]
)

SENT_STARTERS = frozenset("""
according although among both but despite even he however i if in indeed instead it many meanwhile
moreover most nevertheless nonetheless nor sales separately similarly since so some the there these
they this though thus under when while yet
""".split())

# Lower-case words seen starting sentences and never capitalised: no evidence either way.
LOWER_STARTERS = frozenset(["administrators", "b-week", "r-revised", "z-holiday"])

# Capitalised after an abbreviation or ellipsis, these common words start a sentence (beyond
# SENT_STARTERS). Our own list of frequent words, kept to those that Punkt's learned table
# also treats so ("The", "It", "This" are SENT_STARTERS; "And", "Do" are not evidence there).
STARTER_WORDS = frozenset("""
thus therefore hence so such either neither nothing someone anyone anything him her us them your
mine which whom whether whereas though unless still yet nor without within into onto upon above
between through towards along beyond were being does done lets here tomorrow yesterday soon finally
moreover furthermore indeed instead nevertheless nonetheless otherwise similarly likewise
accordingly overall ultimately essentially sometimes always probably certainly course yes okay
please thanks thank sorry note remember consider imagine think try ask begin include seven eight
ten least same very almost finish follow ensure explore discover enjoy check choose create describe
explain
""".split())
