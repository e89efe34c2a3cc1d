#!/usr/bin/env node
// Committed so npm can link `biospec` at install time, before `prepare` has built dist/.
import '../dist/bin.js';
