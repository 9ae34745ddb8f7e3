// Prints CI's last line, `N passed, N failed`, from the Vitest JSON report plus the build checks
// (native build, build, typecheck, lint) counted as one test each; exits non-zero on any failure.
import { existsSync, readFileSync } from 'node:fs';

const [reportPath, passedChecks, failedChecks, vitestStatus] = process.argv.slice(2);
let passed = Number(passedChecks);
let failed = Number(failedChecks);
if (reportPath && existsSync(reportPath)) {
  const report = JSON.parse(readFileSync(reportPath, 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  // A suite that fails to load (syntax error, failing beforeAll) has no test results of its own.
  const brokenSuites = (report.testResults ?? []).filter((s) => s.status === 'failed' && (s.assertionResults ?? []).every((a) => a.status !== 'failed')).length;
  failed += brokenSuites;
  if ((report.numTotalTests ?? 0) === 0) failed += 1;
} else {
  console.log('no test report was written');
  failed += 1;
}
if (Number(vitestStatus) !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
