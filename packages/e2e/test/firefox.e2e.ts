import { defineBrowserSuite } from './browser-suite.js';

defineBrowserSuite('firefox');
