"""Builds tests/data/math_labelled.jsonl: hand-labelled (response, gold, expected) pairs.

The labels are the mathematical truth as a careful grader would judge it (not the
output of any verifier). Run: python tests/data/math_labelled_build.py
"""
# ruff: noqa: E501, E741  (a data table: long rows, one-letter category names)
import collections
import json
from pathlib import Path

rows = []


def add(cat, response, gold, expected, verifier="math", **options):
    rows.append({"category": cat, "verifier": verifier, "options": options, "response": response,
                 "gold": gold, "expected": expected})


def add_gen(cat, gold, expected, prefix, piece, times, suffix, verifier="math", **options):
    """A large response stored as prefix + piece * times + suffix (keeps the file small)."""
    rows.append({"category": cat, "verifier": verifier, "options": options,
                 "response": {"prefix": prefix, "piece": piece, "times": times, "suffix": suffix},
                 "gold": gold, "expected": expected})


def box(s):
    return f"Working... so the result follows. The final answer is $\\boxed{{{s}}}$."


# ---------- extraction ----------
E = "extraction"
add(E, r"We get \boxed{\frac{1}{2}}.", r"\frac12", True)
add(E, r"First \boxed{3}, but wait, correcting: \boxed{5}", "5", True)
add(E, r"First \boxed{3}, but wait, correcting: \boxed{5}", "3", False)
add(E, r"\boxed{\frac{\sqrt{\frac{1}{2}}}{2}}", r"\frac{\sqrt{2}}{4}", True)
add(E, r"The area is \fbox{12}.", "12", True)
add(E, r"thus \boxed 7 is the answer", "7", True)
add(E, r"$\boxed{\text{(C)}}$", r"\text{(C)}", True)
add(E, r"$\boxed{\text{(C)}}$", r"\text{(D)}", False)
add(E, r"\boxed{{2}}", "2", True)
add(E, "Natalia sold 48+24 = 72 clips.\n#### 72", "72", True)
add(E, "She pays 3*5=15 dollars.\n#### 15", "16", False)
add(E, "#### 1,234\n", "1234", True)
add(E, "The answer is 42.", "42", True)
add(E, "So the final answer is 3.5.", "3.5", True)
add(E, "The answer is $\\frac{3}{4}$.", "0.75", True)
add(E, "Answer: 17", "17", True)
add(E, "**Final Answer:** 9", "9", True)
add(E, "**Answer:** 11", "12", False)
add(E, "the answer is: 256", "256", True)
add(E, "Thus there are 8 apples and 5 pears, 13 fruits in total", "13", True)
add(E, "Thus there are 8 apples and 5 pears, 13 fruits in total", "8", False)
add(E, "We compute 2 + 2 = 4", "4", True)
add(E, "No numbers here at all.", "4", False)
add(E, "", "4", False)
add(E, "I think it is -7.", "-7", True)
add(E, "the value is 3/4", "0.75", True)
add(E, "Total: 1,000,000 dollars", "1000000", True)
add(E, r"The answer is $x = 5$.", "5", True)
add(E, r"so we box it: \boxed{\dfrac{2}{3}} and we are done", r"\frac{2}{3}", True)
add(E, "#### 18\nThe answer is 20", "18", True)
add(E, r"\boxed{7} #### 9", "7", True)
add(E, r"The answer is 6. \boxed{8}", "8", True)
add(E, "The answer is 6! Great.", "6", True)
add(E, "So the sum is 15.\n\n# Answer\n\n15", "15", True)
add(E, "Steps: 3 + 4 = 7 and 7 * 2 = 14.\n\n# Answer\n\n\\frac{7}{2}", "14", False)
# strict mode: a box is required
S = "strict"
add(S, r"The answer is 5", "5", False, strict=True)
add(S, r"So \boxed{5}", "5", True, strict=True)
add(S, "#### 5", "5", False, strict=True)
add(S, "Answer: 5", "5", False, strict=True)
add(S, r"\fbox{5}", "5", True, strict=True)
add(S, r"... the last number 5", "5", False, strict=True)
# several boxed answers: policies
M = "multi_box"
add(M, r"\boxed{2} or \boxed{3}", "3", True)
add(M, r"\boxed{2} or \boxed{3}", "2", False)
add(M, r"\boxed{2} and \boxed{3}", "2, 3", True, multi_box="join")
add(M, r"\boxed{3} and \boxed{2}", "2, 3", True, multi_box="join")
add(M, r"\boxed{2} and \boxed{3}", "3", False, multi_box="reject")
add(M, r"\boxed{3} then again \boxed{3}", "3", True, multi_box="reject")
# order configuration
O = "order"
add(O, "The answer is 5.\n#### 6", "6", True, order=["hash", "answer"])
add(O, "The answer is 5.\n#### 6", "5", True, order=["answer", "hash"])
add(O, "We get 3 and then 4", "4", False, order=["boxed", "hash", "answer"])
add(O, "We get 3 and then 4", "4", True, order=["last_number"])

# ---------- normalisation ----------
N = "normalisation"
for r, g, e in [
    (r"\left( 3, \frac{\pi}{2} \right)", r"(3,\frac{\pi}{2})", True),
    (r"\left[ 1, 2 \right]", "[1,2]", True),
    (r"\dfrac{3}{5}", r"\frac{3}{5}", True),
    (r"\tfrac{3}{5}", r"\frac{3}{5}", True),
    (r"\tfrac{3}{5}", r"\frac{5}{3}", False),
    (r"\text{Evelyn}", "Evelyn", True),
    (r"\text{evelyn}", r"\text{Evelyn}", True),
    (r"\text{Alice}", r"\text{Evelyn}", False),
    (r"\textbf{north}", r"\text{north}", True),
    (r"12 \text{ cm}", "12", True),
    (r"12\text{ cm}^2", "12", True),
    (r"12 \mbox{ inches}", "12", True),
    (r"5 \text{ square units}", "5", True),
    (r"7\text{ meters}", "8", False),
    (r"\$18.90", "18.90", True),
    (r"\$ 5", "5", True),
    ("18 dollars", "18", True),
    (r"40\%", "40", True),
    (r"40\%", "0.4", True),
    ("40%", r"40\%", True),
    (r"40\%", "0.04", False),
    ("40 percent", "40", True),
    (r"90^\circ", "90", True),
    (r"90^{\circ}", r"90^\circ", True),
    ("90°", "90", True),
    (r"45^\circ", "90", False),
    ("30 degrees", "30", True),
    ("1,000", "1000", True),
    ("12,345,678", "12345678", True),
    ("1{,}000", "1000", True),
    ("1,000", "100", False),
    ("5.", "5", True),
    ("5;", "5", True),
    (r"5\.", "5", True),
    ("x = 5", "5", True),
    ("x=5", "x = 5", True),
    ("y = -3", "-3", True),
    ("x = 4", "5", False),
    (r"k = \frac{1}{2}", "0.5", True),
    (r"\frac {1} {2}", r"\frac{1}{2}", True),
    (r"2 \sqrt { 3 }", r"2\sqrt{3}", True),
    (r"\displaystyle \frac{1}{2}", "1/2", True),
    (r"3\,000", "3000", True),
    (r"\frac12", "0.5", True),
    (r"\sqrt2", r"\sqrt{2}", True),
    (r"\infty", r"\infty", True),
    (r"-\infty", r"\infty", False),
    ("+5", "5", True),
    ("−5", "-5", True),
    ("2×3", "6", True),
    ("½", "0.5", True),
    (r"\pi r^2", r"r^2\pi", True),
]:
    add(N, box(r), g, e)

# ---------- numeric ----------
U = "numeric"
for r, g, e in [
    ("42", "42", True), ("042", "42", True), ("-42", "42", False), ("41", "42", False),
    ("1000000", "1000001", False), ("123456789012345678901234567890", "123456789012345678901234567890", True),
    ("123456789012345678901234567891", "123456789012345678901234567890", False),
    (r"\frac{6}{8}", r"\frac{3}{4}", True), ("6/8", "0.75", True), (r"\frac{-3}{4}", r"-\frac{3}{4}", True),
    (r"\frac{3}{-4}", "-0.75", True), (r"\frac{3}{4}", "-0.75", False), ("0.5", ".5", True),
    ("0.50", "0.5", True), ("0.333", r"\frac{1}{3}", False), ("0.3333333", r"\frac{1}{3}", True),
    ("3.14", r"\pi", False), ("3.14159265358979", r"\pi", True), ("2.5", r"2\frac{1}{2}", True),
    (r"2\frac{1}{2}", r"\frac{5}{2}", True), (r"2\frac{1}{2}", "1", False), ("1.5e3", "1500", True),
    (r"1.5 \times 10^{3}", "1500", True), (r"1.5\cdot10^3", "1500", True), (r"10^{-2}", "0.01", True),
    ("2e-3", "0.002", True), ("2e-3", "0.02", False), (r"6.02\times10^{23}", "602000000000000000000000", True),
    ("25%", "0.25", True), ("25%", "25", True), ("25%", "0.025", False), ("12.5", "12.50", True),
    ("0.1", r"\frac{1}{10}", True), ("-0", "0", True), ("0", "0.0", True), ("1/0", "0", False),
    ("7", "7.0", True), ("7.0001", "7", False), ("7.0000001", "7", True), ("100", "1e2", True),
    (r"\frac{10}{4}", "2.5", True), (r"\frac{1}{3}", r"\frac{2}{6}", True), (r"\frac{1}{3}", r"\frac{1}{4}", False),
    ("-1.25", r"-\frac{5}{4}", True), ("1.25", r"-\frac{5}{4}", False), ("3", "3/1", True),
    ("9", r"\sqrt{81}", True), ("8", r"\sqrt{81}", False), ("2", r"\sqrt[3]{8}", True),
    ("1024", "2^{10}", True), ("1023", "2^{10}", False), ("120", "5!", True), ("10", r"\binom{5}{2}", True),
    ("3", r"\log_2 8", True), ("1", r"\cos 0", True),
]:
    add(U, box(r), g, e)

# ---------- symbolic: expressions, pi, roots ----------
Y = "symbolic"
for r, g, e in [
    (r"\frac{\sqrt{2}}{2}", r"\frac{1}{\sqrt{2}}", True), (r"\frac{\sqrt{3}}{2}", r"\frac{1}{\sqrt{2}}", False),
    (r"2\sqrt{3}", r"\sqrt{12}", True), (r"3\sqrt{3}", r"\sqrt{12}", False), (r"11\sqrt{2}", r"\sqrt{242}", True),
    (r"\sqrt{8}", r"2\sqrt2", True), (r"\frac{\pi}{2}", r"\pi/2", True), (r"\frac{\pi}{3}", r"\pi/2", False),
    (r"2\pi", r"\pi + \pi", True), (r"\pi^2", r"\pi\cdot\pi", True), (r"\frac{3\pi}{4}", r"\frac{3}{4}\pi", True),
    (r"x^2 - 1", "(x-1)(x+1)", True), (r"x^2 + 1", "(x-1)(x+1)", False), ("(a+b)^2", "a^2 + 2ab + b^2", True),
    ("(a+b)^2", "a^2 + b^2", False), ("p - q", "-q + p", True), ("p - q", "q - p", False),
    (r"\frac{x+1}{2}", r"\frac{1}{2}x + \frac{1}{2}", True), (r"x^5 - x^4 + x^3 - x^2 + x - 1",
                                                              r"(x-1)(x^4+x^2+1)", True),
    (r"2x+3", "3+2x", True), (r"2x+3", "2y+3", False), (r"6 - 5i", r"6-5i", True), (r"6 - 5i", r"-5i+6", True),
    (r"6 + 5i", r"6-5i", False), (r"(1+i)^2", "2i", True), (r"\sqrt{-4}", "2i", True), (r"e^{i\pi}", "-1", True),
    (r"\ln(e^2)", "2", True), (r"\sin^2 x + \cos^2 x", "1", True), (r"\frac{1}{1-x}", r"-\frac{1}{x-1}", True),
    (r"\frac{4}{\sqrt{2}}", r"2\sqrt{2}", True), (r"\sqrt{2}+\sqrt{3}", r"\sqrt{5+2\sqrt{6}}", True),
    (r"\sqrt{2}+\sqrt{3}", r"\sqrt{5}", False), (r"\frac{1+\sqrt{5}}{2}", r"\frac{1}{2}+\frac{\sqrt{5}}{2}", True),
    (r"|x|", "x", False), (r"\sqrt{x^2}", "|x|", True), (r"2^{x+1}", r"2\cdot 2^x", True),
    (r"\frac{a}{b}", r"\frac{b}{a}", False), (r"a_1 + a_2", "a_2 + a_1", True), (r"a_1 + a_2", "a_1 + a_3", False),
    (r"\sqrt[3]{27}", "3", True), (r"\sqrt[3]{2}", r"2^{1/3}", True), (r"\log(100)", r"2\log(10)", True),
    (r"\lfloor 3.7 \rfloor", "3", True), (r"\lceil 3.2 \rceil", "4", True), (r"\tan\frac{\pi}{4}", "1", True),
    (r"\arctan 1", r"\frac{\pi}{4}", True), (r"\frac{\pi}{6}", r"30", False), (r"-\frac{\pi}{6}", r"-\pi/6", True),
    (r"\cos\frac{\pi}{3}", r"\frac12", True), (r"3^{2/3}", r"\sqrt[3]{9}", True), (r"10!", "3628800", True),
    ("k^2+k", "k(k+1)", True), ("n(n+1)/2", r"\frac{n^2+n}{2}", True), ("n(n-1)/2", r"\frac{n^2+n}{2}", False),
]:
    add(Y, box(r), g, e)

# ---------- structures ----------
T = "tuples"
for r, g, e in [
    ("(3, 4)", "(3,4)", True), ("(4, 3)", "(3,4)", False), (r"\left(3, \frac{\pi}{2}\right)", r"(3, \pi/2)", True),
    ("(1, 2, 3)", "(1,2,3)", True), ("(1, 2)", "(1,2,3)", False), (r"(0.5, -1)", r"(\frac12, -1)", True),
    (r"\langle 1, 2 \rangle", "(1,2)", True), (r"(2\sqrt{2}, 0)", r"(\sqrt{8}, 0)", True),
    ("(a, b)", "(b, a)", False), ("(-1, 5)", "(-1,5)", True),
]:
    add(T, box(r), g, e)
I = "intervals"
for r, g, e in [
    ("[2, 5)", "[2,5)", True), ("(2, 5]", "[2,5)", False), ("[2, 5]", "[2,5)", False),
    (r"(-\infty, 3]", r"(-\infty,3]", True), (r"(-\infty, 3)", r"(-\infty,3]", False),
    (r"x \le 3", r"(-\infty,3]", True), (r"x < 3", r"(-\infty,3]", False), (r"x \geq 1", r"[1, \infty)", True),
    (r"2 \le x < 5", "[2,5)", True), (r"2 < x < 5", "[2,5)", False), (r"x \in [2, 5)", "[2,5)", True),
    (r"(-\infty, 1) \cup (2, \infty)", r"(2,\infty)\cup(-\infty,1)", True),
    (r"(-\infty, 1) \cup (2, \infty)", r"(-\infty,1]\cup(2,\infty)", False),
    (r"[0, \frac{1}{2}]", "[0, 0.5]", True), (r"\mathbb{R}", r"(-\infty,\infty)", True),
    (r"(-\infty, -2] \cup [2, \infty)", r"(-\infty,-2]\cup[2,\infty)", True),
    (r"x^2 \le 4", r"[-2, 2]", True), (r"x > 3", r"(3, \infty)", True), (r"3 < x", r"(3,\infty)", True),
]:
    add(I, box(r), g, e)
SE = "sets"
for r, g, e in [
    (r"\{1, 2, 3\}", r"\{3,2,1\}", True), (r"\{1, 2\}", r"\{1,2,3\}", False), (r"\{1, 2\}", r"\{1\}\cup\{2\}", True),
    (r"\emptyset", r"\varnothing", True), (r"\emptyset", r"\{0\}", False), (r"\{-1, 1\}", r"\{1,-1\}", True),
    (r"\{\frac12, 2\}", r"\{2, 0.5\}", True), (r"\{2, 4\}", r"\{2, 5\}", False),
]:
    add(SE, box(r), g, e)
L = "lists"
for r, g, e in [
    ("1, -2", "1,-2", True), ("-2, 1", "1,-2", True), ("1, 2", "1,-2", False), ("1", "1,-2", False),
    ("3, 5, 7", "3, 5, 7", True), ("7, 5, 3", "3, 5, 7", True), ("3, 5", "3, 5, 7", False),
    (r"x = 1 \text{ or } x = 2", "1, 2", True), ("x=2, x=1", "1,2", True), (r"2 \text{ and } 3", "2, 3", True),
    (r"\frac12, \frac13", r"\frac13, 0.5", True), (r"\sqrt2, -\sqrt2", r"\pm\sqrt{2}", True),
    ("1, 1, 2", "1, 2", False), (r"1 \pm \sqrt{2}", r"1+\sqrt2, 1-\sqrt2", True),
]:
    add(L, box(r), g, e)
MX = "matrices"
for r, g, e in [
    (r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}", r"\begin{pmatrix}1&2\\3&4\end{pmatrix}", True),
    (r"\begin{pmatrix} 1 & 2 \\ 4 & 3 \end{pmatrix}", r"\begin{pmatrix}1&2\\3&4\end{pmatrix}", False),
    (r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}", r"\begin{pmatrix}1&2\\3&4\end{pmatrix}", True),
    (r"\begin{pmatrix} 1 \\ -2 \end{pmatrix}", r"\begin{pmatrix} 1 \\ -2 \end{pmatrix}", True),
    (r"(1, -2)", r"\begin{pmatrix} 1 \\ -2 \end{pmatrix}", True),
    (r"(1, 2)", r"\begin{pmatrix} 1 \\ -2 \end{pmatrix}", False),
    (r"\begin{pmatrix} \frac12 \\ \sqrt{4} \end{pmatrix}", r"\begin{pmatrix} 0.5 \\ 2 \end{pmatrix}", True),
    (r"\begin{pmatrix} 1 & 0 \\ 0 & 1 \end{pmatrix}", r"\begin{pmatrix}1&0&0\\0&1&0\end{pmatrix}", False),
]:
    add(MX, box(r), g, e)
EQ = "equations"
for r, g, e in [
    ("y = 2x + 1", "y=1+2x", True), ("y = 2x - 1", "y=1+2x", False), ("2x + 1 = y", "y=2x+1", True),
    ("x + y = 1", "2x + 2y = 2", True), ("x + y = 1", "x - y = 1", False), ("y = x^2", "y=x^2", True),
    (r"x^2 + y^2 = 4", r"x^2+y^2=4", True), (r"x^2 + y^2 = 4", r"x^2+y^2=2", False),
    (r"y = \frac{1}{2}x", "2y = x", True), ("x < 3", "x<3", True), ("3 > x", "x<3", True), ("x > 3", "x<3", False),
    (r"f(x) = 2x", "2x", True),
]:
    add(EQ, box(r), g, e)

# ---------- presets ----------
P = "presets"
add(P, "so 5*4=20\n#### 20", "20", True, verifier="gsm8k")
add(P, "so 5*4=20\n#### 21", "20", False, verifier="gsm8k")
add(P, "The answer is $1,250.", "1250", True, verifier="gsm8k")
add(P, r"Total \boxed{18.00}", "18", True, verifier="gsm8k")
add(P, "she has 12 apples left", "12", True, verifier="gsm8k")
add(P, "#### twelve", "12", False, verifier="gsm8k")
add(P, "A: \\$35", "35", True, verifier="gsm8k")
add(P, r"\boxed{033}", "33", True, verifier="aime")
add(P, r"\boxed{33}", "033", True, verifier="aime")
add(P, r"\boxed{34}", "33", False, verifier="aime")
add(P, r"\boxed{33.5}", "33", False, verifier="aime")
add(P, r"\boxed{\frac{66}{2}}", "33", True, verifier="aime")
add(P, r"\boxed{1000}", "1000", False, verifier="aime")
add(P, r"\boxed{-5}", "5", False, verifier="aime")
add(P, "The answer is 204.", "204", True, verifier="aime")
add(P, r"\boxed{x}", "204", False, verifier="aime")
add(P, r"\boxed{204}", "204", True, verifier="aime")

# ---------- adversarial (must return a Verdict fast, never raise) ----------
A = "adversarial"
add(A, box(r"9^{9^{9^9}}"), "5", False)
add(A, box(r"10^{10^{10}}"), "10", False)
add(A, box(r"(10^{1000})!"), "5", False)
add(A, box(r"(10^{1000})!"), r"(10^{1000})!", True)  # identical strings are equal without evaluating
add(A, box(r"2^{2^{2^{2^{2^{2}}}}}"), "65536", False)
add(A, box(r"10^{10^{10}}+1"), r"10^{10^{10}}", False)
add(A, box(r"\frac{1}{0}"), "0", False)
add(A, box(r"1000000!"), "5", False)
add(A, box(r"99999999999^{99999999999}"), "1", False)
add_gen(A, "1", False, r"\boxed{", "1", 5000, "}")
add_gen(A, "7", True, "", "x", 1_000_000, r" \boxed{7}")
add_gen(A, "7", True, "", "7 ", 300_000, "")
add_gen(A, "5", True, r"\boxed{", "{", 10_000, "5" + "}" * 10_001)
add_gen(A, "5", True, r"\boxed{", "{", 10_000, "5")  # unbalanced box: falls back to the last number
add_gen(A, "3", True, "", "{", 10_000, r"\boxed{3}")
add_gen(A, "2", True, "", r"\boxed{", 5_000, "2")  # 5000 unclosed boxes
add_gen(A, "4", True, "", "The answer is 1 and ", 20_000, r"\boxed{4}")
add_gen(A, "1", True, r"\boxed{", "(", 5000, "1" + ")" * 5000 + "}")
add(A, r"\boxed{１２}", "12", True)  # fullwidth digits: NFKC
add(A, r"\boxed{𝟏𝟐}", "12", True)  # mathematical bold digits: NFKC
add(A, r"\boxed{١٢}", "12", False)  # Arabic-Indic digits are not ASCII numerals here
add(A, r"\boxed{l2}", "12", False)  # letter l look-alike
add(A, r"\boxed{O}", "0", False)  # letter O look-alike
add(A, r"\boxed{\frac{1}{2", "0.5", False)  # broken LaTeX
add(A, r"\boxed{\frac{1}{2}}}}}", r"\frac12", True)
add(A, r"\boxed{\sqrt{}}", "0", False)
add(A, r"\boxed{\left( 1, 2}", "(1,2)", False)
add(A, r"\boxed{\begin{pmatrix} 1 & 2 \end{pmatrix", "(1,2)", False)
add(A, r"\boxed{$$$}", "1", False)
add(A, r"\boxed{\\\\\\}", "1", False)
add(A, r"\boxed{}", "1", False)
add(A, r"\boxed{^^^___}", "1", False)
add(A, r"\boxed{\unknowncommand{5}}", "5", False)
add_gen(A, "1999x", False, r"\boxed{x", "+x", 1999, "}")
add(A, r"\boxed{" + r"\sqrt{" * 200 + "2" + "}" * 200 + "}", "1", False)
add(A, r"\boxed{1e999999}", "1", False)
add(A, r"\boxed{10^{999999}}", "1", False)
add(A, r"\boxed{\infty}", "5", False)
add(A, r"\boxed{nan}", "5", False)
add(A, "\x00\x01\x02 \\boxed{4}", "4", True)
add(A, r"\boxed{4}" + "\u202e", "4", True)
add(A, r"\boxed{x^{x^{x^{x^{x}}}}}", "1", False)
add(A, r"\boxed{\int_0^1 x\,dx}", r"\frac12", True)
add(A, r"\boxed{\sum_{k=1}^{10^{10}} k}", "5", False)

with open(Path(__file__).with_name("math_labelled.jsonl"), "w", encoding="utf-8") as f:
    for i, r in enumerate(rows):
        f.write(json.dumps({"id": i, **r}, ensure_ascii=False) + "\n")
print(len(rows), "rows")

print(collections.Counter(r["category"] for r in rows))
print(collections.Counter(r["expected"] for r in rows))
