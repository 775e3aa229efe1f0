/**
 * A diff as git prints it, for the review tests: one hunk in a.js (head
 * lines 1-6, base lines 1-5), a lockfile, a binary.
 */
export const REVIEW_DIFF = `diff --git a/a.js b/a.js
index 1111111..2222222 100644
--- a/a.js
+++ b/a.js
@@ -1,5 +1,6 @@ function top
 const a = 1;
-const b = a + 1;
+const b = a + 2;
+const c = \`x\`;
 const d = 4;
 const e = 5;
 const f = 6;
diff --git a/package-lock.json b/package-lock.json
index 3333333..4444444 100644
--- a/package-lock.json
+++ b/package-lock.json
@@ -1 +1 @@
-{"v": 1}
+{"v": 2}
diff --git a/img.png b/img.png
index 5555555..6666666 100644
Binary files a/img.png and b/img.png differ
`;
