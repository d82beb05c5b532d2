/**
 * H5: the lane page — what a scanned lane link opens — ships in the app's first scripts. Taro's H5 router
 * loads every page as a lazy chunk, so a scan waited for the app, then for the page's chunks (and theirs)
 * one round after another; imported here, the page and everything it uses are among the scripts index.html
 * names, fetched at once, and the router's import of the page finds it loaded. The other pages stay lazy.
 */
import './pages/lane/index';
