package org.w3c.dom;

/** Stand-in for the lean device JRE, which lacks java.xml (see daemon-assemble.sh). */
public interface Document extends Node {}
