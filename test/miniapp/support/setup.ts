// Runs before each test file (the test framework is not installed yet: files reset the Taro mock in beforeEach).
import { configure } from '@testing-library/dom';

process.env.TARO_ENV = 'h5';

// findBy… and waitFor wait for what the page shows; on a busy machine a render can take seconds, so their
// bound (reached only when a test fails) is generous instead of testing-library's 1 s.
configure({ asyncUtilTimeout: 15_000 });
