"""RDF terms for the tests, reached as ``terms.DCAT.Dataset``.

(Importing rdflib's namespaces straight into a test module makes pytest's collection probe them for
fixture markers, and rdflib warns about every probe.)
"""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

from pilots.dcat.vocab import DCATAP, VCARD

SH = Namespace("http://www.w3.org/ns/shacl#")

__all__ = ["DCAT", "DCATAP", "DCTERMS", "FOAF", "RDF", "SH", "SKOS", "VCARD", "XSD"]
