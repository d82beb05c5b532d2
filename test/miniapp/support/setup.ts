// Runs before each test file (the test framework is not installed yet: files reset the Taro mock in beforeEach).
process.env.TARO_ENV = 'h5';
