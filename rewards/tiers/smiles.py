"""Optional tier: molecules written as different SMILES strings of the same structure.

Needs RDKit (``pip install rdkit`` or the ``chem`` extra). Without it the tier
stays registered but answers ``Undecided("unavailable")``, so policies that
list it keep working. Both sides are canonicalised with RDKit; a side that is
not valid SMILES leaves the decision to other tiers.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .base import GOLD_UNPARSED, PRED_UNPARSED, UNAVAILABLE, Equal, Match, NotEqual, Undecided

MAX_SMILES = 300
_SMILES_CHARS = re.compile(r"^[A-Za-z0-9@+\-\[\]\(\)=#$/\\%.:*]+$")


def rdkit_available() -> bool:
    try:
        import rdkit  # noqa: F401
    except ImportError:
        return False
    return True


@lru_cache(maxsize=4096)
def canonical_smiles(text: str) -> str | None:
    """RDKit's canonical SMILES, or None when ``text`` is not a molecule (or RDKit is missing)."""
    s = text.strip().replace(" ", "")
    if not s or len(s) > MAX_SMILES or not _SMILES_CHARS.match(s) or s.isdigit():
        return None
    try:
        from rdkit import Chem, RDLogger
    except ImportError:
        return None
    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(s)
    if mol is None or mol.GetNumAtoms() == 0:
        return None
    return Chem.MolToSmiles(mol, canonical=True)


class SmilesTier:
    name = "smiles"
    sandboxed = False

    def match(self, pred: str, gold: str) -> Match:
        if not rdkit_available():
            return Undecided(UNAVAILABLE, "rdkit is not installed")
        g = canonical_smiles(gold)
        if g is None:
            return Undecided(GOLD_UNPARSED)
        p = canonical_smiles(pred)
        if p is None:
            return Undecided(PRED_UNPARSED)
        return Equal(f"canonical {g}") if p == g else NotEqual(f"{p} != {g}")
